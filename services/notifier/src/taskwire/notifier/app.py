"""The notifier process: its WebSocket endpoint (/ws), its health and metrics routes on the same
port, the consumer of every event, and the Redis fan-out to its own sessions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import redis.asyncio as redis
from websockets.asyncio.server import Server, serve

from taskwire.common.auth import TokenVerifier
from taskwire.common.broker import QueueSpec
from taskwire.common.runtime import ServiceRuntime
from taskwire.common.service_client import ServiceClient
from taskwire.common.telemetry import Telemetry
from taskwire.notifier.access import Gatekeeper
from taskwire.notifier.api.connection import Connections, allowed_origins
from taskwire.notifier.api.http import Routes
from taskwire.notifier.api.problems import ProblemConnection
from taskwire.notifier.api.session import Services
from taskwire.notifier.fanout import Hub
from taskwire.notifier.feed_consumer import FeedConsumer
from taskwire.notifier.handlers import BINDINGS, Feed
from taskwire.notifier.metrics import NotifierMetrics
from taskwire.notifier.settings import NotifierSettings
from taskwire.notifier.store.history import RoomLog
from taskwire.notifier.store.registry import LEASE_SECONDS, Registry
from taskwire.notifier.use_cases.catchup import CatchUp
from taskwire.notifier.use_cases.joining import Joining

log = logging.getLogger(__name__)


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
        self.hub = Hub(self.redis, channel, s.send_queue_bytes, self.metrics)

        def room_log(client: redis.Redis) -> RoomLog:
            return RoomLog(
                client,
                s.redis_key_prefix,
                length=s.history_length,
                seconds=s.history_seconds,
                channel=channel,
            )

        self.log = room_log(self.redis)
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
        # The consumer numbers one batch at a time, so it has a connection of its own: each
        # batch is spared the pool's bookkeeping.
        self.numbering = redis.Redis.from_url(s.redis_url, single_connection_client=True)
        feed = Feed(room_log(self.numbering), self.hub, gatekeeper)
        self.runtime = ServiceRuntime(
            s,
            telemetry=self.telemetry,
            checks={"redis": self._redis_check, "fanout": self._fanout_check},
        )
        self.broker = self.runtime.broker
        # Batches in the queue's order: a room's numbering follows it. Built here rather than
        # from a subscription (whose parse sees a body alone): each frame names the trace in
        # its own message's headers. The runtime starts and stops it, and samples its queue.
        self.consumer = FeedConsumer(
            self.broker,
            QueueSpec(s.consumer_queue, BINDINGS, s.consumer_delivery_limit),
            feed,
            prefetch=s.consumer_prefetch,
            tracer=self.telemetry.tracer,
            metrics=self.runtime.metrics,
            span_per_message=self.telemetry.exporting,
        )
        self.runtime.consumers.append(self.consumer)
        self.runtime.sampler.queues = (s.consumer_queue,)
        self.connections = Connections(
            self.services, self.hub, self.registry, self.verifier, s.auth_timeout_seconds
        )
        self.sessions = self.connections.sessions
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
                self.connections.serve,
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
            await self.numbering.aclose()
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

    async def _fanout_check(self) -> None:
        # Apart from Redis: the subscription can stop while Redis answers (an error in the hub).
        self.hub.check()
