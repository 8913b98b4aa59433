"""Changes racing on one task: If-Match lets exactly one win; without it, none is lost."""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal

from tests.integration.tasks.changing import Changes, task_row
from tests.integration.tasks.helpers import Api, World
from tests.support.bus import Bus
from tests.support.problems import assert_problem

ROUNDS = 5
RACERS = 6


async def test_two_moves_with_the_same_if_match_one_wins_the_other_gets_412(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str
) -> None:
    a, b, task = [await api.create(w.owner, w.project, title=t) for t in "ABT"]
    await bus.drain()

    for version in range(1, ROUNDS + 1):
        answers = await asyncio.gather(
            changes.send(w.member, "move", task["id"], {"before": a["id"]}, f'"{version}"'),
            changes.send(w.owner, "move", task["id"], {"after": b["id"]}, f'"{version}"'),
        )

        codes = sorted(answer.status_code for answer in answers)
        assert codes == [200, 412], [answer.text for answer in answers]
        won = next(answer for answer in answers if answer.status_code == 200)
        lost = next(answer for answer in answers if answer.status_code == 412)
        assert won.json()["version"] == version + 1
        assert assert_problem(lost, 412, "precondition-failed")["current_version"] == version + 1
    events = await bus.take(ROUNDS)
    assert [e.subject.version for e in events] == list(range(2, ROUNDS + 2))
    await bus.quiet()


async def test_a_move_across_columns_and_an_edit_with_the_same_if_match_one_wins(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str
) -> None:
    in_todo = await api.create(w.owner, w.project, title="P")
    in_done = await api.create(w.owner, w.project, title="Q", status_id=str(w.project.done))
    task = await api.create(w.owner, w.project, title="T")
    await bus.drain()

    for version in range(1, ROUNDS + 1):
        before = await task_row(database_url, task)
        peer = in_done if version % 2 else in_todo
        move = {"status_id": peer["status_id"], "after": peer["id"]}
        moved, edited = await asyncio.gather(
            changes.send(w.member, "move", task["id"], move, f'"{version}"'),
            changes.send(w.owner, "update", task["id"], {"title": f"T{version}"}, f'"{version}"'),
        )

        codes = sorted(answer.status_code for answer in (moved, edited))
        assert codes == [200, 412], [moved.text, edited.text]
        row = await task_row(database_url, task)
        assert row["version"] == version + 1
        if moved.status_code == 200:
            assert (str(row["status_id"]), row["title"]) == (peer["status_id"], before["title"])
            assert Decimal(row["rank"]) > Decimal(peer["position"])
        else:
            assert (row["status_id"], row["title"]) == (before["status_id"], f"T{version}")
    events = await bus.take(ROUNDS)
    assert [e.subject.version for e in events] == list(range(2, ROUNDS + 2))
    await bus.quiet()


async def test_concurrent_moves_without_if_match_all_land_in_sequence_each_with_its_event(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str
) -> None:
    task = await api.create(w.owner, w.project)
    statuses = list(w.project.statuses.values())
    await bus.drain()

    answers = await asyncio.gather(
        *(
            changes.send(w.member, "move", task["id"], {"status_id": str(statuses[i % 5])})
            for i in range(RACERS)
        )
    )

    assert [a.status_code for a in answers] == [200] * RACERS, [a.text for a in answers]
    assert sorted(a.json()["version"] for a in answers) == list(range(2, RACERS + 2))
    events = await bus.take(RACERS)
    assert [e.type for e in events] == ["task.moved"] * RACERS
    assert [e.subject.version for e in events] == list(range(2, RACERS + 2))
    # Each event moves the task from where the previous one left it.
    for previous, event in itertools.pairwise(events):
        assert event.changes["position"][0] == previous.data["position"]
    row = await task_row(database_url, task)
    assert row["version"] == RACERS + 1
    assert row["rank"] == events[-1].data["position"]
    await bus.quiet()


async def test_concurrent_edits_of_different_fields_are_all_kept(
    w: World, api: Api, changes: Changes, database_url: str
) -> None:
    task = await api.create(w.owner, w.project)
    edits = [
        {"title": "New title"},
        {"description": "New words"},
        {"priority": "urgent"},
        {"due_date": "2027-01-31"},
        {"assignee_id": str(w.member.id)},
    ]

    answers = await asyncio.gather(
        *(changes.send(w.member, "update", task["id"], edit) for edit in edits)
    )

    assert [a.status_code for a in answers] == [200] * len(edits), [a.text for a in answers]
    row = await task_row(database_url, task)
    assert row["version"] == len(edits) + 1
    assert (row["title"], row["description"], row["priority"]) == (
        "New title",
        "New words",
        "urgent",
    )
    assert (str(row["due_date"]), row["assignee_id"]) == ("2027-01-31", w.member.id)


async def test_moves_of_different_tasks_racing_into_one_gap_land_inside_it_apart(
    w: World, api: Api, changes: Changes
) -> None:
    a, b = await api.create(w.owner, w.project), await api.create(w.owner, w.project)
    done = str(w.project.done)
    movers = [await api.create(w.owner, w.project, status_id=done) for _ in range(RACERS)]
    gap = {"status_id": str(w.project.todo), "after": a["id"], "before": b["id"]}

    answers = await asyncio.gather(*(changes.send(w.member, "move", t["id"], gap) for t in movers))

    assert [a.status_code for a in answers] == [200] * RACERS, [a.text for a in answers]
    ranks = [Decimal(answer.json()["position"]) for answer in answers]
    assert all(Decimal(a["position"]) < r < Decimal(b["position"]) for r in ranks)
    # Each racer draws from ~500,000 points of the gap: equal ranks are a 1-in-30,000 chance.
    assert len(set(ranks)) == RACERS
