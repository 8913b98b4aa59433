"""What the aggregator does with the task events it consumes: count each once, by version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from taskwire.aggregator.cache import CountsCache
from taskwire.aggregator.counting import Change, apply_facts, progress_events
from taskwire.aggregator.domain import TaskFacts
from taskwire.common.events import Envelope, EventDecodeError
from taskwire.common.events.projects import Category
from taskwire.common.events.tasks import CATALOGUE
from taskwire.common.outbox import EventUnitOfWork

BINDINGS: Final = ("task.*",)


class _CountedState(BaseModel):
    """The part of a task's state (taskwire.common.events.tasks.TaskState) that counting reads;
    validating only these fields keeps parsing cheap."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: UUID
    project_id: UUID
    workspace_id: UUID
    category: Category
    archived_at: datetime | None = None
    deleted: bool = False
    version: int


@dataclass(frozen=True, slots=True)
class Observed:
    """A task event reduced to what counting needs."""

    facts: TaskFacts
    workspace_id: UUID


def parse(envelope: Envelope) -> Observed:
    """An event this consumer can count, or EventDecodeError: it is dead-lettered with why."""
    if envelope.type not in CATALOGUE:
        raise EventDecodeError(f"unknown event type {envelope.type!r}")
    try:
        state = envelope.data_as(_CountedState)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        reason = f"{envelope.type} data is not a task: {where}: {error['msg']}"
        raise EventDecodeError(reason) from exc
    if state.version < 1:
        raise EventDecodeError(
            f"{envelope.type} carries version {state.version}; versions start at 1"
        )
    facts = TaskFacts(
        state.id,
        state.project_id,
        state.category,
        state.archived_at is not None,
        state.deleted,
        state.version,
    )
    return Observed(facts, state.workspace_id)


class Counter:
    """Applies batches of task events and records what changed: its events and its cache."""

    def __init__(self, cache: CountsCache | None = None) -> None:
        self.cache = cache

    async def count(self, uow: EventUnitOfWork, batch: list[Observed]) -> None:
        workspaces: dict[UUID, UUID | None] = {o.facts.project_id: o.workspace_id for o in batch}
        changes = await apply_facts(uow.connection, [o.facts for o in batch], workspaces)
        self.record(uow, changes)

    def record(self, uow: EventUnitOfWork, changes: list[Change]) -> None:
        """The changes' events go out with the transaction; the cache learns of them after it."""
        if not changes:
            return
        uow.emit(*progress_events(changes))
        if self.cache is not None:
            cache = self.cache
            uow.after_commit(lambda: cache.offer(change.project for change in changes))
