"""The database part of a service's runtime: its engine, its outbox and the relay that publishes
it, and the unit of work and single statements through which every change records its events.

A service that owns no database (the notifier) does without it; `ServiceRuntime` is the rest.
"""

from __future__ import annotations

from sqlalchemy import Table

from taskwire.common.broker import Broker
from taskwire.common.db import asyncpg_dsn, create_engine
from taskwire.common.health import ReadinessCheck, database_check
from taskwire.common.outbox import EventStatements, EventUnitOfWork, Outbox
from taskwire.common.querylog import watch_statements
from taskwire.common.relay import OutboxRelay, RelayConfig
from taskwire.common.settings import DatabaseSettings
from taskwire.common.telemetry import Telemetry, trace_database


class Database:
    def __init__(
        self,
        settings: DatabaseSettings,
        outbox_table: Table,
        broker: Broker,
        telemetry: Telemetry,
    ) -> None:
        s = settings
        self.engine = create_engine(s)
        if telemetry.exporting:
            trace_database(self.engine, telemetry)
        watch_statements(
            self.engine, slow_ms=s.slow_query_ms, on_slow=telemetry.metrics.slow_queries.inc
        )
        self.outbox = Outbox(outbox_table)
        # Shares the engine's pool: one statement is its own transaction.
        self.statements = EventStatements(self.engine, self.outbox)
        self.relay = OutboxRelay(
            RelayConfig(
                dsn=asyncpg_dsn(s.database_url),
                service=s.service_name,
                table=outbox_table.name,
                batch_size=s.outbox_batch_size,
                poll_seconds=s.outbox_poll_seconds,
                retention_seconds=s.outbox_retention_seconds,
                lock_key=s.outbox_lock_key,
            ),
            broker,
            wakeup=self.outbox.committed,
            tracer=telemetry.tracer,
            metrics=telemetry.metrics,
        )
        self.checks: dict[str, ReadinessCheck] = {"database": database_check(self.engine)}

    def unit_of_work(self, client_mutation_id: str | None = None) -> EventUnitOfWork:
        return EventUnitOfWork(self.engine, self.outbox, client_mutation_id)

    async def close(self) -> None:
        await self.engine.dispose()
