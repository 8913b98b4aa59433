"""The transactional outbox: events written in the same transaction as the change they describe.

There are two ways in, and every write path takes one of them:
- `EventUnitOfWork.emit()` stages an event; `commit()` inserts the staged rows in the same
  transaction, after the entity writes (so two changes to one entity, serialised by its row lock,
  get outbox sequence numbers in commit order), then wakes the relay in this process.
- `EventStatements` runs a change that is one statement, with the event's row bound into it
  (`Outbox.insert_if`, or `EVENT_PARAMS` in hand-written SQL), and wakes the relay when it wrote.
Both build the row with `Outbox.row`. A statement trigger NOTIFYs on commit so a relay in
another process wakes too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Final
from uuid import UUID

import asyncpg
import orjson
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
    bindparam,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ClauseElement, Executable, FromClause, Insert
from sqlalchemy.sql.compiler import SQLCompiler

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


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One event as the outbox keeps it: its id, routing key, encoded body and trace headers."""

    id: UUID
    routing_key: str
    payload: bytes
    headers: dict[str, str]

    def params(self) -> dict[str, object]:
        """The row as the named parameters of a statement that writes it (see `EVENT_PARAMS`)."""
        return {
            "event_id": self.id,
            "event_routing_key": self.routing_key,
            "event_payload": self.payload,
            "event_headers": self.headers,
        }


# The names a single statement binds an event's row under (`OutboxRow.params`).
EVENT_PARAMS: Final = ("event_id", "event_routing_key", "event_payload", "event_headers")


class Outbox:
    """Where a service's events are written, and the in-process signal that wakes its relay."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.committed = asyncio.Event()

    def row(self, event: Envelope, headers: dict[str, str] | None = None) -> OutboxRow:
        return OutboxRow(
            event.id,
            event.type,
            encode(event),
            trace_headers() if headers is None else headers,
        )

    async def write(self, conn: AsyncConnection, events: Sequence[Envelope]) -> None:
        """Insert the rows of `events` in the caller's transaction (the relay wakes on commit)."""
        if events:
            headers = trace_headers()
            rows = [asdict(self.row(event, headers)) for event in events]
            await conn.execute(insert(self.table), rows)

    def insert_if(self, source: FromClause) -> Insert:
        """INSERT of the event bound as `EVENT_PARAMS`, made only if `source` yields a row: the
        change and its event in one statement, the event there exactly when the change is."""
        row = select(
            bindparam("event_id", type_=Uuid),
            bindparam("event_routing_key", type_=Text),
            bindparam("event_payload", type_=LargeBinary),
            bindparam("event_headers", type_=JSONB),
        ).select_from(source)
        columns = ["id", "routing_key", "payload", "headers"]
        return insert(self.table).from_select(columns, row).returning(self.table.c.seq)

    def recorded(self) -> None:
        """An event was committed in this process: wake the relay now rather than at its poll."""
        self.committed.set()


class EventUnitOfWork(UnitOfWork):
    """A unit of work whose events are committed atomically with its changes.

    One made for a request that named itself (`X-Client-Mutation-Id`) stamps that name on every
    event it records: each is the request's doing, however deep in a use case it was built.
    """

    def __init__(
        self, engine: AsyncEngine, outbox: Outbox, client_mutation_id: str | None = None
    ) -> None:
        super().__init__(engine)
        self._outbox = outbox
        self._events: list[Envelope] = []
        self.client_mutation_id = client_mutation_id

    def emit(self, *events: Envelope) -> None:
        if self.client_mutation_id is not None:
            stamp = {"client_mutation_id": self.client_mutation_id}
            events = tuple(event.model_copy(update=stamp) for event in events)
        self._events.extend(events)

    async def __aenter__(self) -> EventUnitOfWork:
        await super().__aenter__()
        self._events = []
        return self

    async def commit(self) -> None:
        events, self._events = self._events, []
        if events:
            await self._outbox.write(self.connection, events)
            self.after_commit(self._outbox.recorded)
        await super().commit()


class EventStatements:
    """Changes that are ONE autocommit statement, written with their event: no BEGIN and COMMIT
    round trips. The statement binds the event's row as `EVENT_PARAMS` and returns a row only
    when it wrote the change and its event; the relay is woken then, never otherwise."""

    def __init__(self, engine: AsyncEngine, outbox: Outbox) -> None:
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.outbox = outbox

    async def execute(self, statement: Executable, event: Envelope) -> bool:
        """Run a SQLAlchemy statement (see `Outbox.insert_if`); whether it wrote."""
        async with self.engine.connect() as conn:
            result = await conn.execute(statement, self.outbox.row(event).params())
            written = result.first() is not None
        if written:
            self.outbox.recorded()
        return written

    async def fetchrow(
        self, statement: Positional, values: Mapping[str, object], event: Envelope
    ) -> asyncpg.Record | None:
        """Run a precompiled statement on the pooled asyncpg connection itself: for the hottest
        path, where SQLAlchemy's execution layer (compile cache lookup, parameter processing,
        result wrapping) costs more than binding the statement does."""
        params = {**values, **self.outbox.row(event).params()}
        # The pool's connections read and write json as text (SQLAlchemy's codec).
        params["event_headers"] = orjson.dumps(params["event_headers"]).decode()
        pooled = await self.engine.raw_connection()
        try:
            driver: asyncpg.Connection | None = pooled.driver_connection
            if driver is None:
                raise RuntimeError("the pool handed out a closed connection")
            row: asyncpg.Record | None = await driver.fetchrow(
                statement.sql, *[params[name] for name in statement.names]
            )
        finally:
            pooled.close()  # back to the pool
        if row is not None:
            self.outbox.recorded()
        return row


@dataclass(frozen=True, slots=True)
class Positional:
    """A statement compiled once for asyncpg ($1, $2, ...), with its parameters' names in order."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def compile(cls, statement: ClauseElement) -> Positional:
        compiled = statement.compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
        assert isinstance(compiled, SQLCompiler)
        return cls(str(compiled), tuple(compiled.positiontup or ()))
