"""The load of bench/overload.py, in a process of its own so that what it costs is not charged to
the service: callers described as JSON on standard input, what each was answered as JSON on
standard output.

    {"host": ..., "port": ..., "seconds": ..., "callers": [
        {"name": "flood", "rate": 2000, "pool": 512, "requests": [...]},        # open loop
        {"name": "probe", "connections": 32, "requests": [...]},                   # closed loop
        {"name": "calm", "rate": 50, "source": "127.0.0.2", ...}          # from another address
    ]}

(`connections` are made before an open loop's clock starts; more are opened while all are busy,
up to `pool`, beyond which a request waits for one: the client's own queue, charged to it)
answers {"<name>": {"answers": [[status, seconds, retry_after], ...], "failed": n}}, where
status 0 is a request that got no answer (a reset, or none within the timeout). Open-loop
latency runs from when a request was due, so a stall is charged to everything behind it.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.load import Connection

TIMEOUT_SECONDS = 30.0
# More than this many unanswered at once and the service has stalled: what is due beyond it is
# counted as unanswered rather than opening connections without end.
MOST_OUTSTANDING = 2000

Answer = tuple[int, float, bool]


class Caller:
    def __init__(self, host: str, port: int, spec: dict[str, Any]) -> None:
        self.host, self.port = host, port
        self.requests = [raw.encode("latin-1") for raw in spec["requests"]]
        self.rate: float | None = spec.get("rate")
        self.source: str | None = spec.get("source")
        self.connections: int = spec.get("connections", 0)
        self.answers: list[Answer] = []
        self.failed = 0
        # A client's connection pool: at most this many open; beyond, a request waits for one.
        self.pool: int = spec.get("pool", MOST_OUTSTANDING)
        self.opened = 0
        self.idle: asyncio.Queue[Connection] = asyncio.Queue()
        self.outstanding = 0

    async def one(self, raw: bytes, due: float) -> None:
        self.outstanding += 1
        conn = None
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                conn = await self.connection()
                status, headers, _ = await conn.exchange(raw)
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            self.failed += 1
            self.answers.append((0, time.perf_counter() - due, False))
            if conn is not None:
                conn.close()
                self.opened -= 1
            return
        finally:
            self.outstanding -= 1
        self.answers.append((status, time.perf_counter() - due, b"retry-after" in headers))
        self.idle.put_nowait(conn)

    async def connection(self) -> Connection:
        if self.idle.empty() and self.opened < self.pool:
            self.opened += 1
            try:
                return await Connection.open(self.host, self.port, self.source)
            except BaseException:
                self.opened -= 1
                raise
        return await self.idle.get()

    async def open_loop(self, seconds: float) -> None:
        assert self.rate
        # Connected before the clock starts, as a client already using the service is: what is
        # measured is how requests are answered, not how fast a flooded port accepts.
        for _ in range(self.connections):
            self.idle.put_nowait(await Connection.open(self.host, self.port, self.source))
            self.opened += 1
        began = time.perf_counter()
        pending: set[asyncio.Task[None]] = set()
        for i in range(int(self.rate * seconds)):
            due = began + i / self.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.outstanding >= MOST_OUTSTANDING:
                self.failed += 1
                self.answers.append((0, TIMEOUT_SECONDS, False))
                continue
            task = asyncio.create_task(self.one(self.requests[i % len(self.requests)], due))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)

    async def closed_loop(self, seconds: float) -> None:
        deadline = time.perf_counter() + seconds
        turn = iter(range(sys.maxsize))

        async def client() -> None:
            while time.perf_counter() < deadline:
                await self.one(self.requests[next(turn) % len(self.requests)], time.perf_counter())

        await asyncio.gather(*(client() for _ in range(self.connections)))

    def close(self) -> None:
        while not self.idle.empty():
            self.idle.get_nowait().close()


async def main() -> None:
    spec = json.load(sys.stdin)
    callers = {c["name"]: Caller(spec["host"], spec["port"], c) for c in spec["callers"]}
    seconds = spec["seconds"]
    await asyncio.gather(
        *(c.open_loop(seconds) if c.rate else c.closed_loop(seconds) for c in callers.values())
    )
    for caller in callers.values():
        caller.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime  # what the load itself cost, to say so beside it
    json.dump(
        {
            name: {"answers": c.answers, "failed": c.failed, "cpu_seconds": cpu}
            for name, c in callers.items()
        },
        sys.stdout,
    )


if __name__ == "__main__":
    uvloop.run(main())
