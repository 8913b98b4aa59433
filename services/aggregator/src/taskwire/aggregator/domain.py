"""Counting, without I/O: what one task adds to its project's counts, and what a batch changes.

The aggregator keeps each task's last applied facts (project, category, archived, deleted,
version). An event is applied only if its version is newer than the facts held, and the project's
counts move by the difference between the task's old and new contribution. So a duplicate, a
redelivery or a late event changes nothing, and counts always equal a recount of the facts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from taskwire.common.events.projects import Category, Counts

FIELDS: Final = ("total", "todo", "in_progress", "in_review", "issue", "done", "archived")
Delta = dict[str, int]


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """What counting needs of a task, as of `version`."""

    task_id: UUID
    project_id: UUID
    category: Category
    archived: bool
    deleted: bool
    version: int


def contribution(facts: TaskFacts | None) -> Delta:
    """A task's share of its project's counts: a live task counts in `total` and its category,
    an archived one only in `archived`, a deleted one nowhere."""
    if facts is None or facts.deleted:
        return {}
    if facts.archived:
        return {"archived": 1}
    return {"total": 1, facts.category.value: 1}


def fold(
    held: Mapping[UUID, TaskFacts], events: Iterable[TaskFacts], *, repair: bool = False
) -> tuple[dict[UUID, TaskFacts], dict[UUID, Delta]]:
    """Apply a batch: the facts that changed (newest per task) and each project's net delta.

    Events not newer than what is held (or than a newer event of the same batch) change nothing,
    in whatever order the batch holds them. With `repair` (reconcile, from the ground truth),
    facts of the same version that differ from the held ones replace them: the held ones are
    corrupt, since one version of a task has one state.
    """
    newest: dict[UUID, TaskFacts] = {}
    for facts in events:
        current = newest.get(facts.task_id) or held.get(facts.task_id)
        if (
            current is None
            or facts.version > current.version
            or (repair and facts.version == current.version and facts != current)
        ):
            newest[facts.task_id] = facts
    deltas: dict[UUID, Delta] = defaultdict(dict)
    for task_id, new in newest.items():
        old = held.get(task_id)
        _add(deltas[new.project_id], contribution(new), 1)
        if old is not None:
            _add(deltas[old.project_id], contribution(old), -1)
    return newest, {project: delta for project, delta in deltas.items() if any(delta.values())}


def _add(into: Delta, part: Delta, sign: int) -> None:
    for name, amount in part.items():
        into[name] = into.get(name, 0) + sign * amount


def plus(counts: Counts, delta: Delta) -> Counts:
    return Counts(**{name: getattr(counts, name) + delta.get(name, 0) for name in FIELDS})


def recount(facts: Iterable[TaskFacts]) -> dict[UUID, Counts]:
    """Counts from scratch: what `fold` must always agree with (and what reconcile computes)."""
    totals: dict[UUID, Delta] = defaultdict(dict)
    for task in facts:
        _add(totals[task.project_id], contribution(task), 1)
    return {project: plus(Counts(), delta) for project, delta in totals.items()}


def derived_status(counts: Counts) -> Category:
    """The project's status from its counts (docs/architecture.md), first matching row wins."""
    if counts.total == 0:
        return Category.TODO
    if counts.done == counts.total:
        return Category.DONE
    if counts.issue > 0:
        return Category.ISSUE
    if counts.in_review > 0 and counts.todo == 0 and counts.in_progress == 0:
        return Category.IN_REVIEW
    if counts.in_progress > 0 or counts.in_review > 0 or counts.done > 0:
        return Category.IN_PROGRESS
    return Category.TODO
