"""The client side of bench/fanout.py (lean WebSocket connections), what a process costs, the
report.

A connection is a bare asyncio protocol rather than the websockets client: frame headers parsed
in place, the event's number found with one `bytes.find`, nothing decoded. On 1,000 connections
to the baseline it costs this process 5.5 to 7 µs of CPU per frame received against 8.5 to 9 µs
for the websockets client (a reader task, a frame object, a UTF-8 decode per frame): at 100,000
deliveries/s, 0.6 of the core the server under test leaves, not 0.9, with RabbitMQ, Redis and
the kernel's loopback work to share it. It speaks what the benchmark needs: the opening
handshake, masked text frames out, unmasked frames in, pongs to the server's pings, close codes.

Every event carries `fanout#<number>#` (in the task's title); the publisher notes when it sent
each number, and a connection that receives it records the time from then to now.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import resource
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import cast

from websockets.frames import Frame, Opcode

MARK = b"fanout#"
TARGET_RATE, TARGET_RATIO, TARGET_P99_MS, TARGET_AT = 50_000, 0.7, 50.0, 5_000
CLOCK_TICKS, CORES = os.sysconf("SC_CLK_TCK"), os.cpu_count() or 1


def raise_fd_limit() -> int:
    """Raise this process's open-file limit (its children inherit it) as far as it may go."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass(frozen=True)
class Usage:
    """CPU used so far: by a server process and by this process (seconds), by the whole machine
    (clock ticks busy, and all ticks, idle included, summed over its cores)."""

    server: float
    own: float
    busy: int
    total: int

    @classmethod
    def now(cls, pid: int) -> Usage:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open("/proc/stat") as machine:
            ticks = [int(value) for value in machine.readline().split()[1:]]
        idle, total = ticks[3] + ticks[4], sum(ticks)
        server = int(fields[11]) + int(fields[12])
        return cls(server / CLOCK_TICKS, time.process_time(), total - idle, total)

    def cores(self, before: Usage) -> float:
        """Cores the machine kept busy since `before`."""
        return (self.busy - before.busy) / max(1, self.total - before.total) * CORES


@dataclass
class Recorder:
    """What one side's connections receive: a latency per delivery, from the publisher's note."""

    sent: dict[int, float] = field(default_factory=dict)  # event number -> perf_counter
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    expected: int = 0
    last: float = 0.0  # when the expected-th delivery arrived
    inversions: int = 0  # deliveries of a number lower than the connection's previous one
    closes: Counter[int] = field(default_factory=Counter)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def expect(self, count: int) -> None:
        self.latencies, self.received, self.expected = [], 0, count
        self.inversions, self.last = 0, 0.0
        self.done.clear()


def text_frame(payload: bytes) -> bytes:
    """A masked text frame, as a client sends it."""
    return Frame(Opcode.TEXT, payload).serialize(mask=True)


class FeedClient(asyncio.Protocol):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = False
        self.reply: asyncio.Future[bytes] | None = None
        self.last = -1

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self._answer(ConnectionError(f"connection lost: {exc}"))

    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def ask(self, data: bytes, timeout: float = 30.0) -> Awaitable[bytes]:
        """Send `data` (a handshake, or a frame) and wait for the one text frame answering it."""
        self.reply = asyncio.get_running_loop().create_future()
        self.write(data)
        return asyncio.wait_for(self.reply, timeout)

    def _answer(self, outcome: bytes | Exception) -> None:
        reply, self.reply = self.reply, None
        if reply is not None and not reply.done():
            if isinstance(outcome, Exception):
                reply.set_exception(outcome)
            else:
                reply.set_result(outcome)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buf = self.buffer + data if self.buffer else data
        pos, size = 0, len(buf)
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buf
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self._answer(ConnectionError(buf[:end].decode(errors="replace")))
                return
            self.upgraded, pos = True, end + 4
            self._answer(b"")
        while size - pos >= 2:
            length, start = buf[pos + 1] & 0x7F, pos + 2
            if length >= 126:
                start += 2 if length == 126 else 8
                length = int.from_bytes(buf[pos + 2 : start])
            end = start + length
            if end > size:
                break
            opcode, pos = buf[pos] & 0x0F, end
            if opcode == 1:
                if self.reply is None:
                    self._event(buf, start, end, now)
                else:
                    self._answer(buf[start:end])
            elif opcode == 9:
                self.write(Frame(Opcode.PONG, buf[start:end]).serialize(mask=True))
            elif opcode == 8:
                code = int.from_bytes(buf[start : start + 2]) or 1005
                self.recorder.closes[code] += 1
                self._answer(ConnectionError(f"closed by the server: {buf[start:end]!r}"))
                self.close()
        self.buffer = buf[pos:]

    def _event(self, buf: bytes, start: int, end: int, now: float) -> None:
        at = buf.find(MARK, start, end)
        if at < 0:
            return
        at += len(MARK)
        number = int(buf[at : buf.find(b"#", at, end)])
        recorder = self.recorder
        recorder.latencies.append(now - recorder.sent[number])
        if number < self.last:
            recorder.inversions += 1
        self.last = number
        recorder.received += 1
        if recorder.received == recorder.expected:
            recorder.last = now
            recorder.done.set()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_client(
    host: str,
    port: int,
    path: str,
    recorder: Recorder,
    protocol: Callable[[], FeedClient] | None = None,
) -> FeedClient:
    """A connection past its opening handshake (made by `protocol`, by default a FeedClient)."""
    loop = asyncio.get_running_loop()
    make = protocol or (lambda: FeedClient(recorder))
    _, client = await loop.create_connection(make, host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await client.ask(request.encode())
    return client


async def connect_many(
    name: str, count: int, host: str, port: int, recorder: Recorder, hello: list[bytes]
) -> list[FeedClient]:
    """`count` connections to `/ws`, each past `hello` (each message answered, never with an
    error): the first alone (it warms the server's caches), then 50 at a time (more at once
    exhaust the notifier's Redis connection pool: see docs/benchmarks.md)."""
    gate, shown, clients = asyncio.Semaphore(50), time.monotonic(), list[FeedClient]()

    async def one() -> None:
        nonlocal shown
        async with gate:
            client = await open_client(host, port, "/ws", recorder)
            clients.append(client)
            for message in hello:
                if b'"op":"error"' in (answer := await client.ask(text_frame(message))):
                    raise ConnectionError(f"{name} refused {message!r}: {answer!r}")
        if time.monotonic() - shown >= 1:
            shown = time.monotonic()
            print(f"  ... {name}: {len(clients)}/{count} connected", flush=True)

    try:
        await one()
        await asyncio.gather(*(one() for _ in range(count - 1)))
    except BaseException:
        for client in clients:
            client.close()
        raise
    return clients


async def received(name: str, recorder: Recorder) -> None:
    """Wait for every expected delivery, with progress each second; fail after 30 s without."""
    seen, stalled = -1, time.monotonic()
    while not recorder.done.is_set():
        try:
            await asyncio.wait_for(recorder.done.wait(), 1.0)
        except TimeoutError:
            print(f"  ... {name}: {recorder.received:,}/{recorder.expected:,}", flush=True)
        if recorder.received != seen:
            seen, stalled = recorder.received, time.monotonic()
        elif time.monotonic() - stalled > 30:
            closes = dict(recorder.closes)
            raise SystemExit(f"{name}: stuck at {seen:,}/{recorder.expected:,}; closed {closes}")


@dataclass
class Figures:
    """One side's figures at one number of connections, one row per round."""

    memory: list[float] = field(default_factory=list)  # KiB per connection
    # deliveries/s, p50 ms, p99 ms, server µs/delivery, clients' µs/delivery, busy cores
    bursts: list[tuple[float, ...]] = field(default_factory=list)
    paced: dict[float, list[tuple[float, float]]] = field(default_factory=dict)  # p50, p99 ms

    @staticmethod
    def median(rows: list[tuple[float, ...]] | list[tuple[float, float]]) -> list[float]:
        return [statistics.median(column) for column in zip(*rows, strict=True)]


def report(results: dict[int, dict[str, Figures]], args: argparse.Namespace) -> None:
    """A table per number of connections, the medians of the rounds; then each target."""
    print(f"\nmedians of {args.rounds} rounds; bursts of {args.events} events\n")
    row, verdicts = "    {:<34}{:>14}{:>14}{:>8}", list[tuple[str, bool, str]]()
    print(row.format("", "baseline", "notifier", "ratio"))
    for connections, sides in results.items():
        base, notifier = sides["baseline"], sides["notifier"]
        b, n = Figures.median(base.bursts), Figures.median(notifier.bursts)
        m = [statistics.median(side.memory) for side in (base, notifier)]
        rows = [
            ("deliveries/s", f"{b[0]:,.0f}", f"{n[0]:,.0f}", f"{n[0] / b[0]:.2f}"),
            ("burst: p50 / p99 ms", f"{b[1]:.0f} / {b[2]:.0f}", f"{n[1]:.0f} / {n[2]:.0f}", ""),
            ("server CPU per delivery µs", f"{b[3]:.1f}", f"{n[3]:.1f}", f"{n[3] / b[3]:.2f}"),
            ("clients' CPU per delivery µs", f"{b[4]:.1f}", f"{n[4]:.1f}", ""),
            (f"cores busy (of {CORES})", f"{b[5]:.1f}", f"{n[5]:.1f}", ""),
            ("memory per connection KiB", f"{m[0]:.1f}", f"{m[1]:.1f}", f"{m[1] / m[0]:.2f}"),
        ]
        for rate, paced in base.paced.items():
            p, q = Figures.median(paced), Figures.median(notifier.paced[rate])
            percentiles = (f"{p[0]:.1f} / {p[1]:.1f}", f"{q[0]:.1f} / {q[1]:.1f}")
            rows.append((f"{rate:g} events/s: p50 / p99 ms", *percentiles, f"{q[1] / p[1]:.2f}"))
            if rate == 200:
                name = f"p99 under {TARGET_P99_MS:g} ms at 1,000 connections and 200 events/s"
                verdicts.append((name, q[1] < TARGET_P99_MS, f"{q[1]:.1f} ms"))
        print(f"  {connections:,} connections")
        for line in rows:
            print(row.format(*line))
        name = f"ratio of at least {TARGET_RATIO} at {connections:,} connections"
        verdicts.append((name, n[0] / b[0] >= TARGET_RATIO, f"{n[0] / b[0]:.2f}"))
        if connections == TARGET_AT:
            name = f"at least {TARGET_RATE:,} deliveries/s at {TARGET_AT:,} connections"
            verdicts.append((name, n[0] >= TARGET_RATE, f"{n[0]:,.0f}"))
    print()
    for name, passed, value in verdicts:
        print(f"  notifier {name}: {'PASS' if passed else 'FAIL'} ({value})")
