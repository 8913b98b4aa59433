"""The outbox relay: publishes committed events with confirms, in commit order, one leader at once.

Leadership is a session-level Postgres advisory lock held by the relay's own connection. A standby
blocks in `pg_advisory_lock` and takes over the moment the leader's session ends (process death,
lost connection) or the leader lets go because it cannot reach the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from opentelemetry.trace import NoOpTracer, Span, Status, StatusCode, Tracer

from taskwire.common.broker import CONNECTION_ERRORS, Broker, OutgoingMessage, Unroutable
from taskwire.common.consumer import COMMITTED_AT_HEADER
from taskwire.common.messaging_spans import publish_span
from taskwire.common.metrics import ServiceMetrics
from taskwire.common.outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelayConfig:
    dsn: str
    service: str
    table: str = "outbox"
    batch_size: int = 200
    poll_seconds: float = 5.0
    retention_seconds: int = 86_400
    cleanup_every_seconds: float = 60.0
    cleanup_chunk_size: int = 5_000
    broker_grace_seconds: float = 5.0
    lock_key: int | None = None

    @property
    def advisory_key(self) -> int:
        if self.lock_key is not None:
            return self.lock_key
        return zlib.crc32(f"taskwire.outbox.{self.service}.{self.table}".encode())


class BrokerUnavailable(Exception):
    pass


class OutboxRelay:
    def __init__(
        self,
        config: RelayConfig,
        broker: Broker,
        wakeup: asyncio.Event | None = None,
        *,
        tracer: Tracer | None = None,
        metrics: ServiceMetrics | None = None,
    ):
        self.config = config
        self.broker = broker
        self.wakeup = wakeup or asyncio.Event()
        self.tracer = tracer or NoOpTracer()
        self.metrics = metrics or ServiceMetrics()
        self.is_leader = False
        self.published = 0
        self._unroutable_warned: dict[str, float] = {}
        self._t = config.table
        # Whether a deferred event may be waiting for its retry: only then is the table asked
        # when the next one is due. Unknown (so True) whenever leadership begins.
        self._maybe_deferred = True

    async def run(self) -> None:
        """Contend for leadership and relay while leader; never returns until cancelled."""
        backoff = _Backoff()
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(
                    self.config.dsn,
                    server_settings={"application_name": f"{self.config.service}-relay"},
                )
                # A session that dies while the leader idles wakes it, so it stops claiming
                # leadership at once rather than at its next poll.
                conn.add_termination_listener(self._on_notify)
                await conn.execute("SET statement_timeout = 0")
                await conn.execute("SELECT pg_advisory_lock($1)", self.config.advisory_key)
                self.is_leader = True
                log.info("outbox relay for %s is now the leader", self.config.service)
                await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
                await self._lead(conn, backoff)
            except BrokerUnavailable as exc:
                log.warning("relay stepping down: %s; will contend again once it answers", exc)
                await self._close(conn)
                await self.broker.wait_connected()
                await asyncio.sleep(backoff.next())
            except Exception as exc:
                # Whatever went wrong (Postgres down, the session killed, a bad query), the relay
                # must not die, nor retry hot: it pauses longer each time until a batch succeeds.
                pause = backoff.next()
                log.warning("relay lost its database session (%r); retrying in %.1fs", exc, pause)
                await self._close(conn)
                await asyncio.sleep(pause)
            finally:
                self.is_leader = False
                await self._close(conn)

    def _on_notify(self, *_: Any) -> None:
        self.wakeup.set()

    async def _close(self, conn: asyncpg.Connection | None) -> None:
        """End the session, which also releases the advisory lock for a standby."""
        self.is_leader = False
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.close(timeout=2))

    async def _lead(self, conn: asyncpg.Connection, backoff: _Backoff) -> None:
        loop = asyncio.get_running_loop()
        self._maybe_deferred = True  # a previous leader may have deferred some
        next_cleanup = loop.time()
        while True:
            self.wakeup.clear()
            if conn.is_closed():
                raise ConnectionError("the relay's database session ended")
            sent = await self._relay_batch(conn)
            backoff.reset()
            cleanup_behind = False
            if loop.time() >= next_cleanup:
                # A full chunk means more are due: the next one follows the next batch rather
                # than the next interval, so cleanup keeps up with any write rate while each
                # DELETE stays short and publishing still goes first.
                cleanup_behind = await self._delete_published(conn)
                if not cleanup_behind:
                    next_cleanup = loop.time() + self.config.cleanup_every_seconds
            if sent < self.config.batch_size and not cleanup_behind:
                idle = await self._idle_seconds(conn)
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
                # that lands as the wake-up is set (a commit just before shutdown), and the
                # relay would then never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(idle):
                        await self.wakeup.wait()

    async def _idle_seconds(self, conn: asyncpg.Connection) -> float:
        """Until the poll, or sooner when a deferred event is due for its retry."""
        if not self._maybe_deferred:  # a query per batch saved: none was deferred since
            return self.config.poll_seconds
        due = await conn.fetchval(
            f"""SELECT EXTRACT(EPOCH FROM min(next_attempt_at) - now()) FROM {self._t}
                WHERE published_at IS NULL AND next_attempt_at IS NOT NULL"""
        )
        if due is None:
            self._maybe_deferred = False
            return self.config.poll_seconds
        return min(self.config.poll_seconds, max(float(due), 0.01))

    async def _relay_batch(self, conn: asyncpg.Connection) -> int:
        rows = await conn.fetch(
            f"""SELECT seq, id, routing_key, payload, headers, attempts,
                       (extract(epoch FROM created_at) * 1000)::bigint AS committed_ms
                FROM {self._t}
                WHERE published_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())
                ORDER BY seq LIMIT $1""",
            self.config.batch_size,
        )
        if not rows:
            return 0
        await self._wait_for_broker()
        spans, messages = [], []
        for row in rows:
            span, headers = publish_span(
                self.tracer,
                self.broker.exchange_name,
                row["routing_key"],
                str(row["id"]),
                orjson.loads(row["headers"]),
            )
            headers[COMMITTED_AT_HEADER] = row["committed_ms"]
            spans.append(span)
            messages.append(
                OutgoingMessage(row["routing_key"], row["payload"], str(row["id"]), headers)
            )
        try:
            outcomes = await self.broker.publish(messages)
        except CONNECTION_ERRORS as exc:
            _end(spans, [exc] * len(spans))
            raise BrokerUnavailable(repr(exc)) from exc
        _end(spans, outcomes)
        failed = [err for err in outcomes if err is not None and not isinstance(err, Unroutable)]
        if failed:
            # The first failed event and all after it are left as they are, even those the
            # broker confirmed, and sent again in order: none is recorded published ahead of an
            # earlier one, and no delay lets later events leave first once the broker takes it.
            settled = outcomes.index(failed[0])
            rows, outcomes = rows[:settled], outcomes[:settled]
        confirmed = [row["seq"] for row, err in zip(rows, outcomes, strict=True) if err is None]
        if confirmed:
            await conn.execute(
                f"UPDATE {self._t} SET published_at = now() WHERE seq = ANY($1::bigint[])",
                confirmed,
            )
            self.published += len(confirmed)
        returned = [
            row for row, err in zip(rows, outcomes, strict=True) if isinstance(err, Unroutable)
        ]
        if returned:
            await self._defer(conn, returned)
        for row, err in zip(rows, outcomes, strict=True):
            if err is None:
                self.metrics.events_published.labels(row["routing_key"]).inc()
            elif isinstance(err, Unroutable):
                self.metrics.events_returned.labels(row["routing_key"]).inc()
        if failed:  # the next leader retries them, in order
            raise BrokerUnavailable(f"{len(failed)} publishes failed: {failed[0]!r}")
        return len(rows)

    async def _wait_for_broker(self) -> None:
        try:
            await self.broker.wait_connected(timeout=self.config.broker_grace_seconds)
        except TimeoutError as exc:
            raise BrokerUnavailable(
                f"broker unreachable for {self.config.broker_grace_seconds}s"
            ) from exc

    async def _defer(self, conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> None:
        # An unroutable event is kept and retried with a growing delay (0.5 s doubling to 60 s),
        # never marked published: the queue that should take it may not be declared yet.
        self._maybe_deferred = True
        await conn.execute(
            f"""UPDATE {self._t} SET attempts = attempts + 1,
                    last_error = 'unroutable: no queue bound for ' || routing_key,
                    next_attempt_at = now() + make_interval(secs => least(0.5 * 2 ^ attempts, 60))
                WHERE seq = ANY($1::bigint[])""",
            [row["seq"] for row in rows],
        )
        # Loud at most once a minute per routing key, so a service running before its consumers
        # exist does not drown its own log; every deferral is still visible at debug level.
        now = asyncio.get_running_loop().time()
        keys = Counter(row["routing_key"] for row in rows)
        loud = [k for k in keys if now - self._unroutable_warned.get(k, -1e9) >= 60.0]
        self._unroutable_warned.update((k, now) for k in loud)
        log.log(
            logging.WARNING if loud else logging.DEBUG,
            "%d event(s) unroutable, kept and retried later (no queue bound): %s",
            len(rows),
            ", ".join(f"{key} x{n}" for key, n in keys.most_common()),
        )

    async def _delete_published(self, conn: asyncpg.Connection) -> bool:
        """Delete one chunk of rows published before the retention; True if it came back full."""
        # Published rows only: an unpublished event is never deleted, however old. Oldest first,
        # along the published_at index.
        deleted = await conn.execute(
            f"""DELETE FROM {self._t} WHERE seq IN (
                    SELECT seq FROM {self._t}
                    WHERE published_at < now() - make_interval(secs => $1)
                    ORDER BY published_at LIMIT $2)""",
            float(self.config.retention_seconds),
            self.config.cleanup_chunk_size,
        )
        count = int(deleted.split()[-1])
        if count:
            log.info("outbox cleanup: %d rows deleted", count)
        return count >= self.config.cleanup_chunk_size


def _end(spans: list[Span], outcomes: list[BaseException | None]) -> None:
    for span, err in zip(spans, outcomes, strict=True):
        if err is not None:
            span.set_status(Status(StatusCode.ERROR, f"{type(err).__name__}: {err}"))
        span.end()


class _Backoff:
    def __init__(self, first: float = 0.2, most: float = 5.0) -> None:
        self._first, self._most = first, most
        self._current = first

    def next(self) -> float:
        current, self._current = self._current, min(self._current * 2, self._most)
        return current

    def reset(self) -> None:
        self._current = self._first
