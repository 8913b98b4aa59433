"""A redis-server of a test's own, on a free port in a temporary directory: one the test may fill
to its memory limit or turn into a replica, which the shared server must never be."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import orjson
import redis.asyncio as redis

from taskwire.testkit.ports import free_port
from taskwire.testkit.waiting import eventually


@dataclass
class PrivateRedis:
    port: int
    client: redis.Redis

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def out_of_memory(self) -> None:
        """Every write refused with OOM from now on (nothing may be evicted to make room)."""
        await self.client.config_set("maxmemory-policy", "noeviction")
        await self.client.config_set("maxmemory", 1)

    async def memory_back(self) -> None:
        await self.client.config_set("maxmemory", 0)

    async def replica_of(self, master: PrivateRedis | None) -> None:
        """Follow `master` (writes answered READONLY), or, with None, be a master again."""
        if master is None:
            await self.client.replicaof("NO", "ONE")
        else:
            await self.client.replicaof("127.0.0.1", master.port)

    async def caught_up_with(self, master: PrivateRedis) -> bool:
        """This replica has applied everything `master` has written."""
        mine, theirs = (
            await self.client.info("replication"),
            await master.client.info("replication"),
        )
        return bool(
            mine.get("master_link_status") == "up"
            and mine.get("slave_repl_offset") == theirs["master_repl_offset"]
        )

    async def scripts_turned_down(self) -> int:
        """How many EVALSHA calls the server refused or saw fail so far."""
        stats = (await self.client.info("commandstats")).get("cmdstat_evalsha", {})
        return int(stats.get("rejected_calls", 0)) + int(stats.get("failed_calls", 0))


async def history(client: redis.Redis, room_keys: str) -> list[tuple[int, dict[str, Any]]]:
    """What a room's history holds (`room_keys`: its keys' common part, up to `:log`): each
    entry's number and frame, in order."""
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], await client.xrange(f"{room_keys}:log"))
    return [(int(entry_id.split(b"-")[0]), orjson.loads(f[b"f"])) for entry_id, f in entries]


@contextlib.asynccontextmanager
async def private_redis() -> AsyncIterator[PrivateRedis]:
    """A fresh redis-server (no persistence) until the block ends."""
    with tempfile.TemporaryDirectory(prefix="taskwire-redis-") as directory:
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            "redis-server",
            *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            *("--dir", directory, "--logfile", f"{directory}/redis.log"),
            stdout=asyncio.subprocess.DEVNULL,
        )
        server = PrivateRedis(port, redis.Redis(port=port))
        try:

            async def answers() -> bool:
                with contextlib.suppress(redis.ConnectionError):
                    return bool(await server.client.ping())
                return False

            await eventually(answers, what="the private redis-server")
            yield server
        finally:
            await server.client.aclose()
            process.terminate()
            await process.wait()
