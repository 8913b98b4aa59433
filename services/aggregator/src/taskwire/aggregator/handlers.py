"""What the aggregator does with the task events it consumes: count each once, by version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from taskwire.aggregator.cache import CountsCache
from taskwire.aggregator.counting import Change, apply_facts, progress_events
from taskwire.aggregator.domain import TaskFacts
from taskwire.aggregator.metrics import AggregatorMetrics
from taskwire.common.events import EventDecodeError, decode
from taskwire.common.events.envelope import SCHEMA_VERSION
from taskwire.common.events.projects import Category
from taskwire.common.events.tasks import CATALOGUE
from taskwire.common.outbox import EventUnitOfWork

BINDINGS: Final = ("task.*",)


class _CountedState(BaseModel):
    """The part of a task's state (taskwire.common.events.tasks.TaskState) that counting reads."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: UUID
    project_id: UUID
    workspace_id: UUID
    category: Category
    archived_at: datetime | None = None
    deleted: bool = False
    version: int = Field(ge=1)


class _TaskEvent(BaseModel):
    """The part of an envelope counting reads, validated straight from the JSON in one pass:
    the rest of the event (titles, descriptions, dates) is skipped, never built."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    type: str
    schema_version: int = Field(alias="schema")
    data: _CountedState


@dataclass(frozen=True, slots=True)
class Observed:
    """A task event reduced to what counting needs."""

    facts: TaskFacts
    workspace_id: UUID


def parse(body: bytes) -> Observed:
    """An event this consumer can count, or EventDecodeError: it is dead-lettered with why."""
    try:
        event = _TaskEvent.model_validate_json(body)
    except ValidationError:
        raise _why_not(body) from None
    if event.type not in CATALOGUE:
        raise EventDecodeError(f"unknown event type {event.type!r}")
    if event.schema_version > SCHEMA_VERSION:
        raise EventDecodeError(f"unsupported schema {event.schema_version} for {event.type}")
    state = event.data
    facts = TaskFacts(
        state.id,
        state.project_id,
        state.category,
        state.archived_at is not None,
        state.deleted,
        state.version,
    )
    return Observed(facts, state.workspace_id)


def _why_not(body: bytes) -> EventDecodeError:
    """Why a body is no countable task event (the slow path, for poison only)."""
    envelope = decode(body)  # raises EventDecodeError when it is no envelope at all
    if envelope.type not in CATALOGUE:
        return EventDecodeError(f"unknown event type {envelope.type!r}")
    try:
        envelope.data_as(_CountedState)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return EventDecodeError(f"{envelope.type} data is not a task: {where}: {error['msg']}")
    return EventDecodeError(f"{envelope.type} is not a countable task event")


class Counter:
    """Applies batches of task events and records what changed: its events and its cache."""

    def __init__(
        self, cache: CountsCache | None = None, metrics: AggregatorMetrics | None = None
    ) -> None:
        self.cache = cache
        self.metrics = metrics

    async def count(self, uow: EventUnitOfWork, batch: list[Observed]) -> None:
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
