"""Helpers of the projects tests: users with tokens, API shortcuts, the event bus, row counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from aio_pika.abc import AbstractIncomingMessage

from taskwire.common.db import asyncpg_dsn
from taskwire.common.events import Envelope, decode
from tests.support.amqp import EventTap, Publisher
from tests.support.users import User, Users, assert_problem
from tests.support.waiting import eventually

__all__ = [
    "Api",
    "Bus",
    "Publisher",
    "User",
    "Users",
    "assert_problem",
    "execute",
    "fetch",
    "row_counts",
]

TABLES = ("workspaces", "members", "projects", "statuses", "outbox")


class Api:
    """Shortcuts that make the state a test starts from, asserting each call succeeded."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, user: User, url: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(f"/api/v1{url}", json=body, headers=user.auth)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def workspace(self, owner: User, name: str = "Acme", **body: Any) -> dict[str, Any]:
        return await self.post(owner, "/workspaces", {"name": name, **body})

    async def member(
        self, admin: User, workspace: dict[str, Any], user: User, role: str = "member"
    ) -> dict[str, Any]:
        body = {"user_id": str(user.id), "email": user.email, "display_name": user.name}
        return await self.post(
            admin, f"/workspaces/{workspace['id']}/members", {**body, "role": role}
        )

    async def project(
        self, admin: User, workspace: dict[str, Any], key: str = "WEB", **body: Any
    ) -> dict[str, Any]:
        body = {"key": key, "name": f"Project {key}", **body}
        return await self.post(admin, f"/workspaces/{workspace['id']}/projects", body)


async def fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def execute(database_url: str, sql: str) -> None:
    """Run SQL (several statements allowed) on the test's database, outside the service."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def row_counts(database_url: str) -> dict[str, int]:
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in TABLES)
    return {row[0]: row[1] for row in await fetch(database_url, sql)}


@dataclass
class Bus:
    """The events a test's actions publish, read from the tap bound before the app started."""

    tap: EventTap
    database_url: str
    seen: int = 0
    log: list[Envelope] = field(default_factory=list)

    async def next(self, timeout: float = 10.0) -> Envelope:
        return self.decode(await self.tap.next_message(timeout))

    def decode(self, message: AbstractIncomingMessage) -> Envelope:
        """Count a message read straight from the tap, and answer its envelope."""
        self.seen += 1
        envelope = decode(message.body)
        self.log.append(envelope)
        return envelope

    async def take(self, count: int) -> list[Envelope]:
        return [await self.next() for _ in range(count)]

    async def drain(self) -> None:
        """Wait until every event written so far is published and read, and forget them."""

        async def relayed() -> bool:
            sql = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            return bool((await fetch(self.database_url, sql))[0][0] == 0)

        await eventually(relayed, what="the outbox relayed")
        total = (await fetch(self.database_url, "SELECT count(*) FROM outbox"))[0][0]
        while self.seen < total:
            await self.next()

    async def quiet(self) -> None:
        await self.tap.assert_quiet()
