"""A test database holding the outbox (with its NOTIFY trigger) and a tiny entity table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, Table, Text, Uuid, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from taskwire.common.events import Envelope, Subject, new_event
from taskwire.common.ids import new_id
from taskwire.common.outbox import EventUnitOfWork, Outbox, notify_trigger_ddl, outbox_table


class ItemState(BaseModel):
    name: str


@dataclass
class OutboxDb:
    url: str
    engine: AsyncEngine
    outbox: Outbox
    items: Table

    def unit_of_work(self) -> EventUnitOfWork:
        return EventUnitOfWork(self.engine, self.outbox)

    async def outbox_rows(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            result = await conn.execute(select(self.outbox.table).order_by(self.outbox.table.c.seq))
            return [dict(row._mapping) for row in result]

    async def unpublished(self) -> int:
        async with self.engine.connect() as conn:
            count = await conn.scalar(
                text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            )
            return int(count or 0)

    async def items_named(self, name: str) -> int:
        async with self.engine.connect() as conn:
            count = await conn.scalar(
                select(text("count(*)")).select_from(self.items).where(self.items.c.name == name)
            )
            return int(count or 0)

    async def relay_leader_pid(self, service: str) -> int | None:
        """The backend of the relay session holding the outbox's advisory lock, if any."""
        async with self.engine.connect() as conn:
            pid = await conn.scalar(
                text(
                    """SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                       WHERE l.locktype = 'advisory' AND l.granted
                         AND a.datname = current_database() AND a.application_name = :name"""
                ),
                {"name": f"{service}-relay"},
            )
            return int(pid) if pid is not None else None

    async def terminate(self, pid: int) -> None:
        async with self.engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    async def save_item(self, name: str, event_type: str = "item.created") -> Envelope:
        """The use case under test: write an item and its event in one unit of work."""
        item_id = new_id()
        event = item_event(event_type, item_id, 1, name)
        async with self.unit_of_work() as uow:
            await uow.connection.execute(
                self.items.insert().values(id=item_id, name=name, version=1)
            )
            uow.emit(event)
            await uow.commit()
        return event


async def save_items(db: OutboxDb, names: list[str]) -> list[Envelope]:
    """Many items and their events in one transaction."""
    events = [item_event("item.created", new_id(), 1, name) for name in names]
    async with db.unit_of_work() as uow:
        await uow.connection.execute(
            db.items.insert(),
            [
                {"id": e.subject.id, "name": n, "version": 1}
                for e, n in zip(events, names, strict=True)
            ],
        )
        uow.emit(*events)
        await uow.commit()
    return events


def item_event(event_type: str, item_id: UUID, version: int, name: str) -> Envelope:
    return new_event(
        event_type,
        producer="test",
        subject=Subject(kind="item", id=item_id, version=version),
        data=ItemState(name=name),
    )


async def create_outbox_db(url: str) -> OutboxDb:
    metadata = MetaData()
    table = outbox_table(metadata)
    items = Table(
        "items",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("name", Text, nullable=False),
        Column("version", Integer, nullable=False),
    )
    engine = create_async_engine(url, pool_size=5)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        for statement in notify_trigger_ddl(table.name):
            await conn.execute(text(statement))
    return OutboxDb(url, engine, Outbox(table), items)
