"""One transaction per use case: the entity and its outbox row commit together or not at all."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from taskwire.common.db import UnitOfWork, asyncpg_dsn, create_engine
from taskwire.common.events import decode
from taskwire.common.ids import new_id
from taskwire.common.settings import DatabaseSettings
from taskwire.common.telemetry import Telemetry
from tests.support.outbox_db import OutboxDb, item_event


async def test_nothing_is_kept_unless_committed(outbox_db: OutboxDb) -> None:
    ran: list[str] = []
    async with UnitOfWork(outbox_db.engine) as uow:
        await uow.connection.execute(
            outbox_db.items.insert().values(id=new_id(), name="draft", version=1)
        )
        uow.after_commit(lambda: ran.append("hook"))
    assert await outbox_db.items_named("draft") == 0
    assert ran == []
    with pytest.raises(RuntimeError, match="outside"):
        _ = uow.connection


async def test_the_entity_and_its_event_are_written_together(outbox_db: OutboxDb) -> None:
    assert not outbox_db.outbox.committed.is_set()
    event = await outbox_db.save_item("first")
    assert await outbox_db.items_named("first") == 1
    [row] = await outbox_db.outbox_rows()
    assert row["id"] == event.id
    assert row["routing_key"] == "item.created"
    assert decode(row["payload"]) == event
    assert row["published_at"] is None
    assert row["attempts"] == 0
    assert row["headers"]["traceparent"].startswith("00-")
    assert outbox_db.outbox.committed.is_set()


async def test_an_error_before_commit_leaves_neither(outbox_db: OutboxDb) -> None:
    async def use_case() -> None:
        async with outbox_db.unit_of_work() as uow:
            item_id = new_id()
            await uow.connection.execute(
                outbox_db.items.insert().values(id=item_id, name="doomed", version=1)
            )
            uow.emit(item_event("item.created", item_id, 1, "doomed"))
            raise ValueError("rule broken")

    with pytest.raises(ValueError, match="rule broken"):
        await use_case()
    assert await outbox_db.items_named("doomed") == 0
    assert await outbox_db.outbox_rows() == []
    assert not outbox_db.outbox.committed.is_set()


async def test_a_failing_outbox_write_rolls_back_the_entity(outbox_db: OutboxDb) -> None:
    ran: list[str] = []
    item_id = new_id()
    event = item_event("item.created", item_id, 1, "twice")

    async def use_case() -> None:
        async with outbox_db.unit_of_work() as uow:
            await uow.connection.execute(
                outbox_db.items.insert().values(id=item_id, name="twice", version=1)
            )
            uow.emit(event, event)  # the same event id twice violates the outbox's unique id
            uow.after_commit(lambda: ran.append("hook"))
            await uow.commit()

    with pytest.raises(IntegrityError):
        await use_case()
    assert await outbox_db.items_named("twice") == 0
    assert await outbox_db.outbox_rows() == []
    assert ran == []


async def test_after_commit_hooks_run_only_for_the_block_that_committed(
    outbox_db: OutboxDb,
) -> None:
    ran: list[str] = []
    uow = outbox_db.unit_of_work()

    async def abandoned() -> None:
        async with uow:
            uow.after_commit(lambda: ran.append("abandoned"))
            uow.emit(item_event("item.created", new_id(), 1, "abandoned"))
            raise ValueError("abandoned")

    with pytest.raises(ValueError, match="abandoned"):
        await abandoned()
    async with uow:
        uow.after_commit(lambda: ran.append("committed"))
        await uow.commit()
    assert ran == ["committed"]
    assert await outbox_db.outbox_rows() == []


async def test_the_outbox_row_keeps_the_trace_of_the_request(outbox_db: OutboxDb) -> None:
    tracer = Telemetry.create("tests", None).tracer
    with tracer.start_as_current_span("request") as span:
        await outbox_db.save_item("traced")
        trace_id = format(span.get_span_context().trace_id, "032x")
    [row] = await outbox_db.outbox_rows()
    assert row["headers"]["traceparent"].split("-")[1] == trace_id


async def test_the_engine_names_its_sessions_and_bounds_statements(empty_database: str) -> None:
    settings = DatabaseSettings(
        database_url=empty_database, service_name="demo", db_statement_timeout_ms=1234
    )
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SHOW statement_timeout")) == "1234ms"
            assert await conn.scalar(text("SHOW application_name")) == "demo"
    finally:
        await engine.dispose()
    dsn = asyncpg_dsn(empty_database)
    assert dsn.startswith("postgresql://")
    connection = await asyncpg.connect(dsn)
    await connection.close()


async def test_a_failing_hook_neither_undoes_nor_hides_the_commit(
    outbox_db: OutboxDb, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("cache down")

    async with outbox_db.unit_of_work() as uow:
        item_id = new_id()
        await uow.connection.execute(
            outbox_db.items.insert().values(id=item_id, name="kept", version=1)
        )
        uow.emit(item_event("item.created", item_id, 1, "kept"))
        uow.after_commit(broken)
        uow.after_commit(lambda: ran.append("next hook"))
        await uow.commit()
    assert await outbox_db.items_named("kept") == 1
    assert ran == ["next hook"]
    assert outbox_db.outbox.committed.is_set()
    assert "cache down" in caplog.text
