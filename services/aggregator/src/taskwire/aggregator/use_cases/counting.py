"""Applying task facts to the held facts and the projects' counts, in the caller's transaction.

The same step serves the consumer (a batch of events) and reconcile (a page of the tasks
service's snapshot), so both obey one rule: a task's facts change only for a newer version, and
its project's counts move by exactly the difference.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.aggregator import domain
from taskwire.aggregator.counts_cache import CountsCache
from taskwire.aggregator.domain import Delta, Observed, ProjectCounts, TaskFacts
from taskwire.aggregator.metrics import AggregatorMetrics
from taskwire.aggregator.store import counts as stored_counts
from taskwire.aggregator.store import facts as stored_facts
from taskwire.common.events import Envelope, Subject, new_event
from taskwire.common.events.aggregator import (
    DERIVED_STATUS_CHANGED,
    PRODUCER,
    PROGRESS_CHANGED,
    DerivedStatusChange,
    Progress,
)
from taskwire.common.events.projects import Category
from taskwire.common.outbox import EventUnitOfWork


@dataclass(frozen=True, slots=True)
class Change:
    """A project's counts after a change, and its derived status before and after."""

    project: ProjectCounts
    old_status: Category
    new_status: Category


async def apply_facts(
    conn: AsyncConnection,
    facts: Sequence[TaskFacts],
    workspaces: dict[UUID, UUID | None],
    *,
    repair: bool = False,
) -> list[Change]:
    """Lock the tasks' held facts, keep the newer ones, move counts by the difference."""
    if not facts:
        return []
    held = await stored_facts.lock_facts(conn, {f.task_id: f.project_id for f in facts})
    newest, deltas = domain.fold(held, facts, repair=repair)
    await stored_facts.write_facts(conn, newest.values())
    if not deltas:
        return []
    stored = await stored_counts.add_counts(conn, deltas, workspaces)
    return [_change(row, deltas[row.project_id]) for row in stored]


def _change(after: ProjectCounts, delta: Delta) -> Change:
    before = domain.plus(after.counts, {name: -amount for name, amount in delta.items()})
    return Change(after, domain.derived_status(before), domain.derived_status(after.counts))


def changes_between(before: ProjectCounts, after: ProjectCounts) -> Change:
    return Change(after, domain.derived_status(before.counts), domain.derived_status(after.counts))


def progress_events(changes: Iterable[Change]) -> list[Envelope]:
    """One progress_changed per changed project, and a derived_status_changed where it moved."""
    events: list[Envelope] = []
    for change in changes:
        row = change.project
        old, new = change.old_status, change.new_status
        progress = Progress(counts=row.counts, derived_status=new, counts_version=row.version)
        events.append(_about(row, PROGRESS_CHANGED, progress))
        if old != new:
            moved = DerivedStatusChange(old=old, new=new, counts_version=row.version)
            events.append(
                _about(row, DERIVED_STATUS_CHANGED, moved, {"derived_status": [old, new]})
            )
    return events


def _about(
    row: ProjectCounts, type_: str, data: BaseModel, changes: dict[str, list[Any]] | None = None
) -> Envelope:
    return new_event(
        type_,
        producer=PRODUCER,
        subject=Subject(kind="project", id=row.project_id, version=row.version),
        data=data,
        workspace_id=row.workspace_id,
        project_id=row.project_id,
        changes=changes,
    )


class Counter:
    """Applies batches of task events and records what changed: its events, its cache, and
    the figures of the batches and of the reconciles."""

    def __init__(
        self, cache: CountsCache | None = None, metrics: AggregatorMetrics | None = None
    ) -> None:
        self.cache = cache
        self.metrics = metrics

    async def count(self, uow: EventUnitOfWork, batch: list[Observed]) -> None:
        """The consumer's handler: one batch of task events, in its transaction."""
        workspaces: dict[UUID, UUID | None] = {o.facts.project_id: o.workspace_id for o in batch}
        changes = await apply_facts(uow.connection, [o.facts for o in batch], workspaces)
        self.record(uow, changes)
        if self.metrics is not None:
            metrics, size = self.metrics, len(batch)
            uow.after_commit(lambda: metrics.applied(size))

    def record(self, uow: EventUnitOfWork, changes: list[Change]) -> None:
        """The changes' events go out with the transaction; the cache learns of them after it."""
        if not changes:
            return
        uow.emit(*progress_events(changes))
        if self.cache is not None:
            cache = self.cache
            uow.after_commit(lambda: cache.offer(change.project for change in changes))

    def reconciled(self, drift: domain.Drift) -> None:
        if self.metrics is not None:
            self.metrics.reconciled(drift)
