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

from taskwire.aggregator import domain, store
from taskwire.aggregator.domain import Delta, TaskFacts
from taskwire.aggregator.store import ProjectCounts
from taskwire.common.events import Envelope, Subject, new_event
from taskwire.common.events.aggregator import (
    DERIVED_STATUS_CHANGED,
    PRODUCER,
    PROGRESS_CHANGED,
    DerivedStatusChange,
    Progress,
)
from taskwire.common.events.projects import Category


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
    held = await store.lock_facts(conn, {f.task_id: f.project_id for f in facts})
    newest, deltas = domain.fold(held, facts, repair=repair)
    await store.write_facts(conn, newest.values())
    if not deltas:
        return []
    stored = await store.add_counts(conn, deltas, workspaces)
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
