"""The counting rules, without I/O: counts equal a recount whatever the delivery order."""

from __future__ import annotations

from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskwire.aggregator.domain import (
    FactsRow,
    Standing,
    TaskFacts,
    derived_status,
    difference,
    fold,
    plus,
    recount,
    standing,
)
from taskwire.common.events.projects import Category, Counts

PROJECTS = [UUID(int=p) for p in range(1, 4)]
TASKS = [UUID(int=1000 + t) for t in range(8)]


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (Counts(), Category.TODO),
        (Counts(archived=3), Category.TODO),
        (Counts(total=2, done=2), Category.DONE),
        (Counts(total=3, issue=1, done=2), Category.ISSUE),
        (Counts(total=3, issue=1, in_review=2), Category.ISSUE),
        (Counts(total=2, in_review=1, done=1), Category.IN_REVIEW),
        (Counts(total=2, in_review=2), Category.IN_REVIEW),
        (Counts(total=2, in_review=1, todo=1), Category.IN_PROGRESS),
        (Counts(total=2, in_progress=1, todo=1), Category.IN_PROGRESS),
        (Counts(total=2, done=1, todo=1), Category.IN_PROGRESS),
        (Counts(total=2, todo=2), Category.TODO),
    ],
)
def test_the_derived_status_follows_the_table_row_by_row(
    counts: Counts, expected: Category
) -> None:
    assert derived_status(counts) is expected


# One task's history: successive states, each a version higher than the last.
states = st.tuples(
    st.sampled_from(list(Category)), st.booleans(), st.booleans()
)  # category, archived, deleted


@st.composite
def histories(draw: st.DrawFn) -> list[TaskFacts]:
    events: list[TaskFacts] = []
    for task_id in draw(st.lists(st.sampled_from(TASKS), min_size=1, max_size=6, unique=True)):
        project = draw(st.sampled_from(PROJECTS))
        for version, (category, archived, deleted) in enumerate(
            draw(st.lists(states, min_size=1, max_size=6)), start=1
        ):
            events.append(TaskFacts(task_id, project, category, archived, deleted, version))
    return events


@settings(max_examples=300)
@given(histories(), st.data())
def test_counts_equal_a_recount_under_duplicates_reordering_and_redelivery(
    events: list[TaskFacts], data: st.DataObject
) -> None:
    delivered = data.draw(st.permutations(events + data.draw(st.lists(st.sampled_from(events)))))
    batch_size = data.draw(st.integers(1, 7))
    held: dict[UUID, TaskFacts] = {}
    counts: dict[UUID, Counts] = {}
    applied: list[list[TaskFacts]] = []
    for start in range(0, len(delivered), batch_size):
        batch = delivered[start : start + batch_size]
        # A crash between commit and ack: an already-applied batch arrives again.
        redeliver: bool = bool(applied) and data.draw(st.booleans())
        redelivered = applied[-1] if redeliver else []
        changed, deltas = fold(held, redelivered + batch)
        held.update(changed)
        for project, delta in deltas.items():
            counts[project] = plus(counts.get(project, Counts()), delta)
        applied.append(batch)

    latest = {e.task_id: e for e in sorted(events, key=lambda e: e.version)}
    expected = recount(latest.values())
    for project in PROJECTS:
        shown = counts.get(project, Counts())
        assert shown == expected.get(project, Counts())
        assert derived_status(shown) is derived_status(expected.get(project, Counts()))


def test_a_stale_or_duplicate_event_changes_nothing() -> None:
    task, project = TASKS[0], PROJECTS[0]
    newer = TaskFacts(task, project, Category.DONE, False, False, 3)
    held = {task: newer}
    for event in (newer, TaskFacts(task, project, Category.TODO, False, False, 2)):
        changed, deltas = fold(held, [event])
        assert (changed, deltas) == ({}, {})


def test_a_move_shifts_one_count_and_an_archive_moves_it_to_archived() -> None:
    task, project = TASKS[0], PROJECTS[0]
    todo = TaskFacts(task, project, Category.TODO, False, False, 1)
    done = TaskFacts(task, project, Category.DONE, False, False, 2)
    archived = TaskFacts(task, project, Category.DONE, True, False, 3)
    assert fold({task: todo}, [done])[1] == {project: {"todo": -1, "done": 1, "total": 0}}
    assert fold({task: done}, [archived])[1] == {project: {"archived": 1, "total": -1, "done": -1}}


def test_held_facts_stand_behind_or_corrupt_only_against_newer_or_other_truth() -> None:
    task, project = TASKS[0], PROJECTS[0]
    truth = FactsRow.of(TaskFacts(task, project, Category.DONE, False, False, 2))
    assert standing(truth, truth) is None
    assert standing(None, truth) is Standing.BEHIND
    assert standing(truth._replace(category="todo", version=1), truth) is Standing.BEHIND
    assert standing(truth._replace(category="todo"), truth) is Standing.CORRUPT
    assert standing(truth._replace(category="todo", version=3), truth) is None  # changed since
    assert truth.parsed() == TaskFacts(task, project, Category.DONE, False, False, 2)


def test_a_repair_moves_only_the_counts_that_differ() -> None:
    held = Counts(total=3, todo=2, done=1)
    assert difference(Counts(total=3, todo=1, done=2), held) == {"todo": -1, "done": 1}
    assert difference(held, held) == {}
