from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from taskwire.common.ids import new_id

SCHEMA_VERSION = 1

StateT = TypeVar("StateT", bound=BaseModel)


class Subject(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: str
    id: UUID
    version: int = Field(ge=0)


class Envelope(BaseModel):
    """One event. Consumers ignore unknown fields; a breaking change bumps `schema`."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    id: UUID
    type: str
    schema_version: int = Field(SCHEMA_VERSION, alias="schema")
    occurred_at: datetime
    producer: str
    workspace_id: UUID | None = None
    project_id: UUID | None = None
    subject: Subject
    actor_id: UUID | None = None
    client_mutation_id: str | None = Field(
        None,
        description="the X-Client-Mutation-Id of the request that made the change, so that the "
        "client which sent it knows the event as its own; null without one, and on events a "
        "consumer derives from another",
    )
    data: dict[str, Any]
    changes: dict[str, list[Any]] = Field(default_factory=dict)

    def data_as(self, model: builtins.type[StateT]) -> StateT:
        return model.model_validate(self.data)


class EventDecodeError(ValueError):
    """The bytes are not an envelope this consumer can read; the message goes to the DLQ."""


def new_event(
    type: str,
    *,
    producer: str,
    subject: Subject,
    data: BaseModel,
    workspace_id: UUID | None = None,
    project_id: UUID | None = None,
    actor_id: UUID | None = None,
    changes: dict[str, list[Any]] | None = None,
    client_mutation_id: str | None = None,
) -> Envelope:
    return Envelope(
        id=new_id(),
        type=type,
        occurred_at=datetime.now(UTC),
        producer=producer,
        workspace_id=workspace_id,
        project_id=project_id,
        subject=subject,
        actor_id=actor_id,
        client_mutation_id=client_mutation_id,
        data=data.model_dump(),
        changes=changes or {},
    )


def encode(envelope: Envelope) -> bytes:
    # orjson serialises UUID and datetime natively, several times faster than json + pydantic.
    return orjson.dumps(
        envelope.model_dump(by_alias=True), default=_fallback, option=orjson.OPT_UTC_Z
    )


def _fallback(value: object) -> str:
    # orjson takes only exact uuid.UUID; asyncpg hands out its own UUID subclass.
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__} in an event")


def decode(body: bytes) -> Envelope:
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as exc:
        raise EventDecodeError(f"not a valid event envelope: {exc.errors()[0]['msg']}") from exc
    if envelope.schema_version > SCHEMA_VERSION:
        raise EventDecodeError(f"unsupported schema {envelope.schema_version} for {envelope.type}")
    return envelope
