"""A small HTTP/1.1 load generator: keep-alive connections over raw asyncio streams.

Deliberately minimal so the client costs little CPU next to the servers it drives on the same
machine (a general-purpose client would spend more per request than a bare endpoint does).
It speaks only what the benchmarks need: one pre-encoded request, Content-Length responses.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    statuses: Counter[int] = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def merge(self, other: Result) -> None:
        self.latencies += other.latencies
        self.statuses.update(other.statuses)
        self.elapsed += other.elapsed


def http_request(method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: bench", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int, source: str | None = None) -> Connection:
        """A connection to host:port, from the address `source` where given (any of 127/8
        on loopback: another client, as far as the server can tell)."""
        local = None if source is None else (source, 0)
        return cls(*await asyncio.open_connection(host, port, local_addr=local))

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        status, _, body = await self.exchange(raw)
        return status, body

    async def exchange(self, raw: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
        """The status, the headers (names in lower case) and the body of the answer to `raw`."""
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers: dict[bytes, bytes] = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get(b"content-length", b"0"))
        return status, headers, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def closed_loop(
    host: str, port: int, raws: list[bytes], *, seconds: float, expect: int
) -> Result:
    """One connection per request in `raws`, each sending it again as soon as it is answered."""
    result = Result()
    connections = [await Connection.open(host, port) for _ in raws]
    deadline = time.perf_counter() + seconds

    async def client(conn: Connection, raw: bytes) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, _ = await conn.send(raw)
            result.statuses[status] += 1
            if status == expect:
                result.latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(client(conn, raw) for conn, raw in zip(connections, raws, strict=True)))
    result.elapsed = time.perf_counter() - began
    for conn in connections:
        conn.close()
    return result


async def open_loop(
    host: str, port: int, raws: list[bytes], *, rate: float, seconds: float, expect: int
) -> Result:
    """Requests sent at a fixed rate whether or not earlier ones were answered.

    Latency is measured from when each request was due, not when it was sent, so a server that
    stalls is charged for the requests queued behind the stall (no coordinated omission).
    """
    result = Result()
    idle: list[Connection] = []
    count = int(rate * seconds)
    began = time.perf_counter()

    async def one(due: float, raw: bytes) -> None:
        conn = idle.pop() if idle else await Connection.open(host, port)
        try:
            status, _ = await conn.send(raw)
        except (asyncio.IncompleteReadError, ConnectionError):
            # The server closed a connection that sat idle past its keep-alive: it never read
            # this request, so sending it on a new connection cannot duplicate it.
            conn.close()
            conn = await Connection.open(host, port)
            status, _ = await conn.send(raw)
        result.statuses[status] += 1
        if status == expect:
            result.latencies.append(time.perf_counter() - due)
        idle.append(conn)

    pending = []
    for i in range(count):
        due = began + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.create_task(one(due, raws[i % len(raws)])))
    await asyncio.gather(*pending)
    result.elapsed = time.perf_counter() - began
    for conn in idle:
        conn.close()
    return result


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile in milliseconds (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0
