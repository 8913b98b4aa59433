"""The notifier process: its WebSocket endpoint (/ws), its health routes on the same port, the
consumer of every event, and the Redis fan-out to its own sessions."""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
import secrets
from collections.abc import AsyncIterator

import orjson
import redis.asyncio as redis
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Origin

from taskwire.common.auth import Caller, TokenVerifier, bearer_token
from taskwire.common.broker import Broker, QueueSpec
from taskwire.common.consumer import Consumer
from taskwire.common.errors import Unauthenticated
from taskwire.common.service_client import ServiceClient
from taskwire.notifier.access import Gatekeeper
from taskwire.notifier.feed import BINDINGS, Feed, RedisStep
from taskwire.notifier.history import RoomLog
from taskwire.notifier.hub import Hub
from taskwire.notifier.registry import LEASE_SECONDS, Registry
from taskwire.notifier.session import TOO_MANY, Services, Session
from taskwire.notifier.settings import NotifierSettings

log = logging.getLogger(__name__)

UNAUTHENTICATED = 4001
TRY_AGAIN_LATER = 1013


class Notifier:
    def __init__(self, settings: NotifierSettings) -> None:
        self.settings = s = settings
        # A pool that waits for a free connection rather than failing: a reconnect storm opens
        # hundreds of sessions at once, each touching Redis.
        self.redis = redis.Redis(
            connection_pool=redis.BlockingConnectionPool.from_url(
                s.redis_url, max_connections=200, timeout=10
            )
        )
        channel = f"{s.redis_key_prefix}notifier:fanout"
        self.hub = Hub(self.redis, channel, s.send_queue_bytes)
        self.log = RoomLog(
            self.redis,
            s.redis_key_prefix,
            length=s.history_length,
            seconds=s.history_seconds,
            channel=channel,
        )
        self.projects = ServiceClient(
            "projects", s.projects_url, timeout=s.http_timeout_seconds, attempts=s.http_attempts
        )
        gatekeeper = Gatekeeper(
            self.projects, self.redis, s.redis_key_prefix, s.access_cache_seconds
        )
        self.registry = Registry(self.redis, s.redis_key_prefix, s.connections_per_user)
        self.services = Services(
            self.hub,
            self.log,
            gatekeeper,
            self.registry,
            s.rooms_per_connection,
            s.messages_per_second,
        )
        self.broker = Broker(
            s.amqp_url, s.exchange, s.dead_letter_exchange, connection_name="notifier"
        )
        feed = Feed(self.log, self.hub, gatekeeper)
        spec = QueueSpec(s.consumer_queue, BINDINGS, s.consumer_delivery_limit)
        self.consumer = Consumer(
            self.broker,
            spec,
            feed.handle,
            RedisStep,
            prefetch=s.consumer_prefetch,
            in_order=True,  # a room's numbering follows the queue's order
        )
        self.verifier = TokenVerifier(s)
        self.sessions: set[Session] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self.server: Server | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Server]:
        """Serve until the block ends; then close every connection and stop consuming."""
        self._tasks = [
            asyncio.create_task(self.hub.run(), name="notifier.fanout"),
            asyncio.create_task(self._consume(), name="notifier.consumer"),
            asyncio.create_task(self._refresh(), name="notifier.leases"),
        ]
        s = self.settings
        try:
            async with serve(
                self._session,
                s.host,
                s.port,
                process_request=self._http,
                origins=[None, *map(Origin, s.allowed_origins)] if s.allowed_origins else None,
                max_size=s.max_frame_bytes,
                ping_interval=s.ping_interval_seconds,
                ping_timeout=s.ping_timeout_seconds,
                # A peer that stopped answering will not answer a close either.
                close_timeout=s.ping_timeout_seconds,
                compression=None,
            ) as server:
                self.server = server
                yield server
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.consumer.stop()
            await self.broker.close()
            await self.projects.close()
            await self.redis.aclose()

    async def _consume(self) -> None:
        await self.broker.connect()
        await self.consumer.start()

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS / 3)
            entries = [(x.user_id, x.name, list(x.rooms)) for x in self.sessions]
            # In slices, yielding between them: one pipeline for 10,000 sessions held the loop
            # (and every socket) for a third of a second.
            for start in range(0, len(entries), 200):
                with contextlib.suppress(redis.RedisError, OSError):
                    await self.registry.refresh(entries[start : start + 200])
                await asyncio.sleep(0)

    async def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path == "/ws":
            return None
        if path == "/livez":
            return _json(http.HTTPStatus.OK, {"status": "ok"})
        if path == "/readyz":
            return await self._readiness()
        return _json(http.HTTPStatus.NOT_FOUND, {"status": 404, "title": "Not Found"})

    async def _readiness(self) -> Response:
        checks = {"broker": "ok" if self.broker.is_connected else "failing: not connected"}
        try:
            await asyncio.wait_for(self.redis.ping(), 2.0)
            checks["redis"] = "ok" if self.hub.listening.is_set() else "failing: not subscribed"
        except (redis.RedisError, OSError, TimeoutError) as exc:
            checks["redis"] = f"failing: {exc!r}"
        ready = all(v == "ok" for v in checks.values())
        status = http.HTTPStatus.OK if ready else http.HTTPStatus.SERVICE_UNAVAILABLE
        return _json(status, {"status": "ok" if ready else "unavailable", "checks": checks})

    async def _session(self, connection: ServerConnection) -> None:
        caller = await self._authenticate(connection)
        if caller is None:
            return
        name = secrets.token_hex(8)
        try:
            admitted = await self.registry.connect(caller.user_id, name)
        except (redis.RedisError, OSError) as exc:
            log.warning("cannot count a connection (%r); asking the client to retry", exc)
            await connection.close(TRY_AGAIN_LATER, "try again later")
            return
        if not admitted:
            await connection.close(TOO_MANY, "too many connections for this user")
            return
        session = Session(connection, caller, self.services, name)
        self.sessions.add(session)
        self.hub.connected(session)
        try:
            await session.send({"op": "ready", "user_id": str(caller.user_id)})
            async for message in connection:
                await session.handle(message)
        except ConnectionClosed:
            pass
        finally:
            self.sessions.discard(session)
            self.hub.disconnected(session)
            await session.close()

    async def _authenticate(self, connection: ServerConnection) -> Caller | None:
        """From the Authorization header, else the first message; never from the URL."""
        header = connection.request.headers.get("Authorization") if connection.request else None
        try:
            if header:
                return await self.verifier.verify(bearer_token(header))
            first = await asyncio.wait_for(connection.recv(), self.settings.auth_timeout_seconds)
            message = orjson.loads(first)
            if not isinstance(message, dict) or message.get("op") != "auth":
                raise Unauthenticated('the first message must be {"op": "auth", "token": ...}')
            token = message.get("token")
            if not isinstance(token, str) or not token:
                raise Unauthenticated("auth needs a token")
            return await self.verifier.verify(token)
        except (Unauthenticated, orjson.JSONDecodeError, TimeoutError) as exc:
            reason = exc.args[0] if isinstance(exc, Unauthenticated) else "authenticate first"
            await connection.close(UNAUTHENTICATED, str(reason)[:120])
            return None
        except ConnectionClosed:
            return None


def _json(status: http.HTTPStatus, body: object) -> Response:
    payload = orjson.dumps(body)
    headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return Response(status.value, status.phrase, headers, payload)
