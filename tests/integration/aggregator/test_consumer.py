"""Task events through the broker: counts exact, by version, whatever arrives twice or late."""

from __future__ import annotations

from taskwire.common.events import Envelope
from taskwire.common.events.projects import Category, Counts
from taskwire.testkit.board import Board
from taskwire.testkit.counts import CountsDb, expected_counts
from tests.support.amqp import EventTap, Publisher


async def progress_of(tap: EventTap, count: int) -> list[Envelope]:
    events = await tap.take(count)
    return [e for e in events if e.type == "project.progress_changed"]


async def test_counts_follow_a_projects_task_events(
    tasks: Publisher, db: CountsDb, tap: EventTap
) -> None:
    board = Board()
    project = board.projects[0]
    created = [board.create(project) for _ in range(4)]
    ids = [e.subject.id for e in created]
    changes = [
        board.move(ids[0], Category.DONE),
        board.move(ids[1], Category.IN_REVIEW),
        board.archive(ids[2]),
        board.delete(ids[3]),
    ]
    for event in (*created, *changes):
        await tasks.publish(event)
        await tasks.handled()

    counts = await db.counts()
    assert counts == expected_counts(board.facts())
    assert counts[project] == Counts(total=2, done=1, in_review=1, archived=1)

    # One progress event per applied event here (each was its own batch), in version order.
    seen: list[Envelope] = []
    while len(seen) < 8:
        event = await tap.next()
        if event.type == "project.progress_changed":
            seen.append(event)
    assert [e.data["counts_version"] for e in seen] == list(range(1, 9))
    assert seen[-1].data["counts"] == counts[project].model_dump()
    assert seen[-1].data["derived_status"] == "in_review"  # nothing left to do or doing
    assert {(e.workspace_id, e.project_id, e.producer) for e in seen} == {
        (board.workspace_id, project, "aggregator")
    }


async def test_duplicates_redeliveries_and_late_events_change_nothing(
    tasks: Publisher, db: CountsDb, tap: EventTap
) -> None:
    board = Board(projects=2)
    events = [board.create(board.projects[i % 2]) for i in range(6)]
    events += [board.move(e.subject.id, Category.IN_PROGRESS) for e in events[:3]]
    events += [board.archive(events[0].subject.id), board.delete(events[1].subject.id)]
    await tasks.publish(*events)
    await tasks.handled()
    before, versions = await db.counts(), await db.versions()
    assert before == expected_counts(board.facts())
    while True:  # drain what the first delivery emitted
        try:
            await tap.next(timeout=1.0)
        except TimeoutError:
            break

    await tasks.publish(*events)  # every event again
    await tasks.publish(*reversed(events))  # and again, the oldest last
    await tasks.handled()

    assert await db.counts() == before
    assert await db.versions() == versions
    await tap.assert_quiet(within=0.5)


async def test_derived_status_changes_are_emitted_once_per_change(
    tasks: Publisher, tap: EventTap
) -> None:
    board = Board()
    project = board.projects[0]
    first = board.create(project)
    task = first.subject.id
    steps = [
        first,  # todo: no change from an empty project
        board.move(task, Category.IN_PROGRESS),
        board.move(task, Category.IN_REVIEW),
        board.move(task, Category.ISSUE),
        board.move(task, Category.ISSUE),  # a new version, the same status
        board.move(task, Category.DONE),
        board.archive(task),  # nothing live: todo
    ]
    changes: list[tuple[str, str]] = []
    for step in steps:
        await tasks.publish(step)
        await tasks.handled()
    await tasks.publish(*steps)  # duplicates: no second change
    await tasks.handled()
    while True:
        try:
            event = await tap.next(timeout=1.0)
        except TimeoutError:
            break
        if event.type == "project.derived_status_changed":
            changes.append((event.data["old"], event.data["new"]))
            assert event.changes == {"derived_status": [event.data["old"], event.data["new"]]}
    assert changes == [
        ("todo", "in_progress"),
        ("in_progress", "in_review"),
        ("in_review", "issue"),
        ("issue", "done"),
        ("done", "todo"),
    ]
