"""A consumer's side for tests: a replica table kept by a version-checked handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import Column, Integer, MetaData, Table, Text, Uuid, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.common.broker import OutgoingMessage
from taskwire.common.db import UnitOfWork
from taskwire.common.events import Envelope, encode
from tests.support.outbox_db import ItemState

metadata = MetaData()
replica = Table(
    "replica",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("applied", Integer, nullable=False),  # how many times an event changed the row
)


async def create_replica(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


async def apply_item(uow: UnitOfWork, event: Envelope) -> None:
    """Apply only a newer version: duplicates and stale events change nothing."""
    state = event.data_as(ItemState)
    statement = insert(replica).values(
        id=event.subject.id, name=state.name, version=event.subject.version, applied=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=[replica.c.id],
        set_={
            "name": statement.excluded.name,
            "version": statement.excluded.version,
            "applied": replica.c.applied + 1,
        },
        where=replica.c.version < statement.excluded.version,
    )
    await uow.connection.execute(statement)


async def replica_row(engine: AsyncEngine, item_id: UUID) -> dict[str, object] | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(replica).where(replica.c.id == item_id))).first()
        return dict(row._mapping) if row else None


async def replica_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return len((await conn.execute(select(replica.c.id))).all())


def outgoing(event: Envelope) -> OutgoingMessage:
    return OutgoingMessage(event.type, encode(event), str(event.id), {"traceparent": "00-x"})


@dataclass
class Calls:
    """What a test handler saw, to assert on attempts."""

    seen: list[UUID] = field(default_factory=list)

    def count(self, event_id: UUID) -> int:
        return self.seen.count(event_id)
