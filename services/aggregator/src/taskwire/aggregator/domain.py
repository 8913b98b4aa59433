"""Counting, without I/O: what one task adds to its project's counts, and what a batch changes.

The aggregator keeps each task's last applied facts (project, category, archived, deleted,
version). An event is applied only if its version is newer than the facts held, and the project's
counts move by the difference between the task's old and new contribution. So a duplicate, a
redelivery or a late event changes nothing, and counts always equal a recount of the facts.

Reconcile holds the facts against the tasks service's, row by row (`standing`), and reports
what it found and repaired (`Drift`).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Final, NamedTuple
from uuid import UUID

from taskwire.common.events.projects import Category, Counts

FIELDS: Final = ("total", "todo", "in_progress", "in_review", "issue", "done", "archived")
Delta = dict[str, int]
_CATEGORIES: Final = {category.value: category for category in Category}


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """What counting needs of a task, as of `version`."""

    task_id: UUID
    project_id: UUID
    category: Category
    archived: bool
    deleted: bool
    version: int


@dataclass(frozen=True, slots=True)
class Observed:
    """A task event reduced to what counting needs."""

    facts: TaskFacts
    workspace_id: UUID


@dataclass(frozen=True, slots=True)
class ProjectCounts:
    """A project's counts as stored, with the version that grows with every change to them."""

    project_id: UUID
    workspace_id: UUID | None
    counts: Counts
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


def difference(truth: Counts, held: Counts) -> Delta:
    """What a repair moves each count by (only those that differ)."""
    return {
        name: getattr(truth, name) - getattr(held, name)
        for name in FIELDS
        if getattr(truth, name) != getattr(held, name)
    }


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


class FactsRow(NamedTuple):
    """A task's facts as text, the shape of the tasks service's snapshot. Reconcile compares
    rows as they come and parses only those that differ: most of a page never becomes UUIDs
    and enums."""

    task_id: str
    project_id: str
    category: str
    archived: bool
    deleted: bool
    version: int

    @classmethod
    def of(cls, facts: TaskFacts) -> FactsRow:
        return cls(
            str(facts.task_id),
            str(facts.project_id),
            facts.category.value,
            facts.archived,
            facts.deleted,
            facts.version,
        )

    def parsed(self) -> TaskFacts:
        return TaskFacts(
            UUID(self.task_id),
            UUID(self.project_id),
            _CATEGORIES[self.category],
            self.archived,
            self.deleted,
            self.version,
        )


class Standing(Enum):
    """How the facts held of a task stand against the tasks service's, where they need repair."""

    BEHIND = "behind"
    CORRUPT = "corrupt"


def standing(held: FactsRow | None, truth: FactsRow) -> Standing | None:
    """None when nothing needs repair: the same facts, or newer ones held (the task changed
    after the truth was read)."""
    if held == truth:
        return None
    if held is None or held.version < truth.version:
        return Standing.BEHIND
    if held.version == truth.version:
        return Standing.CORRUPT
    return None


@dataclass
class Drift:
    """What a reconcile found (and repaired)."""

    tasks_checked: int = 0
    tasks_behind: int = 0  # the snapshot was newer: an event not applied yet, or lost
    tasks_corrupt: int = 0  # the same version with other facts
    tasks_unknown: int = 0  # held as counting, unknown to the tasks service
    projects_checked: int = 0
    counts_repaired: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.tasks_behind or self.tasks_corrupt or self.tasks_unknown) or bool(
            self.counts_repaired
        )

    def note(self, found: Standing) -> None:
        if found is Standing.BEHIND:
            self.tasks_behind += 1
        else:
            self.tasks_corrupt += 1

    def as_dict(self) -> dict[str, object]:
        return {**dataclasses.asdict(self), "drift_found": self.found}
