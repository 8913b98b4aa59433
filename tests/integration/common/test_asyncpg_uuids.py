"""Events encode the UUIDs asyncpg returns (its own type, not uuid.UUID) as plain strings."""

import asyncpg
from pydantic import BaseModel

from taskwire.common.db import asyncpg_dsn
from taskwire.common.events import Subject, decode, encode, new_event
from taskwire.testkit.infra import Infra


class _Row(BaseModel):
    id: object


async def test_events_encode_uuids_as_asyncpg_returns_them(infra: Infra) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(infra.postgres_admin_url))
    try:
        row_id = await conn.fetchval("SELECT gen_random_uuid()")
    finally:
        await conn.close()
    assert type(row_id).__module__.startswith("asyncpg")
    event = new_event(
        "thing.created",
        producer="t",
        subject=Subject(kind="thing", id=row_id, version=1),
        data=_Row(id=row_id),
    )
    assert decode(encode(event)).data == {"id": str(row_id)}
