"""What the aggregator does with the task events it consumes: count each once, by version.

Every task event is parsed to what counting reads (`parse`); batches of them are counted by
`use_cases.counting.Counter.count`, in one transaction per batch.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from taskwire.aggregator.domain import Observed, TaskFacts
from taskwire.common.events import EventDecodeError, decode
from taskwire.common.events.envelope import SCHEMA_VERSION
from taskwire.common.events.projects import Category
from taskwire.common.events.tasks import CATALOGUE

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
