"""The notifier process: its WebSocket endpoint (/ws), its health and metrics routes on the same
port, the consumer of every event, and the Redis fan-out to its own sessions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator

import orjson
import redis.asyncio as redis
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from taskwire.common.auth import Caller, TokenVerifier, bearer_token
from taskwire.common.errors import Unauthenticated
from taskwire.common.runtime import ServiceRuntime, Subscription
from taskwire.common.service_client import ServiceClient
from taskwire.common.telemetry import Telemetry
from taskwire.notifier.access import Gatekeeper
from taskwire.notifier.api.http import Routes
from taskwire.notifier.api.problems import ProblemConnection
from taskwire.notifier.api.session import TOO_MANY, UNAUTHENTICATED, Services, Session
from taskwire.notifier.fanout import Hub
from taskwire.notifier.handlers import BINDINGS, Feed, RedisStep
from taskwire.notifier.metrics import NotifierMetrics
from taskwire.notifier.settings import NotifierSettings
from taskwire.notifier.store.history import RoomLog
from taskwire.notifier.store.registry import LEASE_SECONDS, Registry
from taskwire.notifier.use_cases.catchup import CatchUp
from taskwire.notifier.use_cases.joining import Joining

log = logging.getLogger(__name__)

TRY_AGAIN_LATER = 1013


class Notifier:
    def __init__(self, settings: NotifierSettings, telemetry: Telemetry | None = None) -> None:
        self.settings = s = settings
        self.telemetry = telemetry or Telemetry.from_settings(settings)
        self.metrics = NotifierMetrics(self.telemetry.metrics.registry)
        # A pool that waits for a free connection rather than failing: a reconnect storm opens
        # hundreds of sessions at once, each touching Redis.
        self.redis = redis.Redis(
            connection_pool=redis.BlockingConnectionPool.from_url(
                s.redis_url, max_connections=200, timeout=10
            )
        )
        channel = f"{s.redis_key_prefix}notifier:fanout"
        self.hub = Hub(self.redis, channel, s.send_queue_bytes, self.metrics.deliveries)
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
        self.verifier = TokenVerifier(s)
        # A client that takes none of its backlog for as long as a ping may go unanswered is
        # treated as one that stopped answering pings.
        catch_up = CatchUp(s.send_queue_bytes, s.ping_timeout_seconds)
        self.services = Services(
            self.hub,
            Joining(self.hub, self.log, gatekeeper, self.registry, catch_up, self.metrics),
            gatekeeper,
            self.registry,
            self.verifier,
            s.jwt_leeway_seconds,
            s.rooms_per_connection,
            s.messages_per_second,
            self.metrics,
        )
        feed = Feed(self.log, self.hub, gatekeeper)
        self.runtime = ServiceRuntime(
            s,
            telemetry=self.telemetry,
            subscriptions=[
                # One event at a time, in the queue's order: a room's numbering follows it.
                Subscription(s.consumer_queue, BINDINGS, feed.handle, RedisStep, in_order=True)
            ],
            checks={"redis": self._redis_check},
        )
        self.broker = self.runtime.broker
        self.consumer = self.runtime.consumers[0]
        self.sessions: set[Session] = set()
        self.metrics.follow(self.sessions, self.hub.rooms)
        self.server: Server | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Server]:
        """Serve until the block ends; then close every connection and stop consuming."""
        runtime, s = self.runtime, self.settings
        runtime.spawn(self.hub.run(), "fanout")
        runtime.spawn(self._refresh(), "leases")
        await runtime.start()
        origins = allowed_origins(s)
        routes = Routes(runtime.readiness_checks, self.telemetry.metrics, origins is not None)
        try:
            async with serve(
                self._session,
                s.host,
                s.port,
                process_request=routes,
                create_connection=ProblemConnection,
                origins=origins,
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
            await runtime.stop()
            await self.projects.close()
            await self.redis.aclose()

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

    async def _redis_check(self) -> None:
        await self.redis.ping()
        if not self.hub.listening.is_set():
            raise ConnectionError("not subscribed to the fan-out channel")

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


def allowed_origins(settings: NotifierSettings) -> list[Origin | None] | None:
    """The `Origin`s a handshake may carry (None: any). Only production holds browsers to its
    list, an empty one refusing them all; a client that sends no Origin is not a browser, and
    browsers are what the check protects (from pages of other sites opening the feed with their
    users' credentials)."""
    if settings.environment != "production":
        return None
    if not settings.allowed_origins:
        log.warning("TASKWIRE_NOTIFIER_ALLOWED_ORIGINS is empty: every browser will be refused")
    return [None, *map(Origin, settings.allowed_origins)]
