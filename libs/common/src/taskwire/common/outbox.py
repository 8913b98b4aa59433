"""The transactional outbox: events written in the same transaction as the change they describe.

`EventUnitOfWork.emit()` stages an event; `commit()` inserts the staged rows in the same
transaction, after the entity writes (so two changes to one entity, serialised by its row lock,
get outbox sequence numbers in commit order), then wakes the relay in this process. A statement
trigger NOTIFYs on commit so a relay in another process wakes too.
"""

from __future__ import annotations

import asyncio
from typing import Final

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    Uuid,
    func,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taskwire.common.db import UnitOfWork
from taskwire.common.events import Envelope, encode
from taskwire.common.telemetry import trace_headers

NOTIFY_CHANNEL: Final = "taskwire_outbox"


def outbox_table(metadata: MetaData, name: str = "outbox") -> Table:
    """The outbox table, added to a service's own metadata so its migrations create it."""
    table = Table(
        name,
        metadata,
        Column("seq", BigInteger, Identity(always=True), primary_key=True),
        Column("id", Uuid, nullable=False, unique=True),
        Column("routing_key", Text, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("next_attempt_at", DateTime(timezone=True)),
        Column("last_error", Text),
    )
    # The relay scans unpublished rows in sequence order; the cleaner deletes by published_at.
    Index(f"{name}_unpublished_seq", table.c.seq, postgresql_where=table.c.published_at.is_(None))
    Index(
        f"{name}_published_at",
        table.c.published_at,
        postgresql_where=table.c.published_at.isnot(None),
    )
    return table


def notify_trigger_ddl(table: str = "outbox") -> list[str]:
    """DDL for the commit-time NOTIFY; run it from the migration that creates the table."""
    return [
        f"""
        CREATE OR REPLACE FUNCTION {table}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{NOTIFY_CHANNEL}', '{table}');
            RETURN NULL;
        END $$
        """,
        f"DROP TRIGGER IF EXISTS {table}_notify ON {table}",
        f"""
        CREATE TRIGGER {table}_notify AFTER INSERT ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION {table}_notify()
        """,
    ]


def drop_notify_trigger_ddl(table: str = "outbox") -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_notify ON {table}",
        f"DROP FUNCTION IF EXISTS {table}_notify()",
    ]


class Outbox:
    """Where a service's events are written, and the in-process signal that wakes its relay."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.committed = asyncio.Event()

    def rows(self, events: list[Envelope]) -> list[dict[str, object]]:
        headers = trace_headers()
        return [
            {
                "id": event.id,
                "routing_key": event.type,
                "payload": encode(event),
                "headers": headers,
            }
            for event in events
        ]

    async def write(self, conn: AsyncConnection, events: list[Envelope]) -> None:
        if events:
            await conn.execute(insert(self.table), self.rows(events))


class EventUnitOfWork(UnitOfWork):
    """A unit of work whose events are committed atomically with its changes."""

    def __init__(self, engine: AsyncEngine, outbox: Outbox) -> None:
        super().__init__(engine)
        self._outbox = outbox
        self._events: list[Envelope] = []

    def emit(self, *events: Envelope) -> None:
        self._events.extend(events)

    async def __aenter__(self) -> EventUnitOfWork:
        await super().__aenter__()
        self._events = []
        return self

    async def commit(self) -> None:
        events, self._events = self._events, []
        if events:
            await self._outbox.write(self.connection, events)
            self.after_commit(self._outbox.committed.set)
        await super().commit()
