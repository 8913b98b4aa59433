"""Figures read every few seconds rather than per event: the outbox's backlog, the depth of the
queues this service consumes and of their dead-letter queues, and whether each dependency
answers. Read apart from the relay and the consumers, so they stay true while those are stalled
(the broker down, say), which is when they matter."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from aio_pika.abc import AbstractRobustChannel
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.common.broker import Broker, QueueSpec
from taskwire.common.health import ReadinessCheck, readiness
from taskwire.common.metrics import ServiceMetrics

log = logging.getLogger(__name__)


class Sampler:
    def __init__(
        self,
        metrics: ServiceMetrics,
        checks: Mapping[str, ReadinessCheck],
        *,
        engine: AsyncEngine | None = None,
        outbox: Table | None = None,
        broker: Broker | None = None,
        queues: tuple[str, ...] = (),
        every_seconds: float = 5.0,
    ) -> None:
        self.metrics = metrics
        self.checks = checks
        self.engine = engine
        self.broker = broker
        self.queues = queues
        self.every_seconds = every_seconds
        self._channel: AbstractRobustChannel | None = None
        # Unpublished events: how many, and how long the oldest has waited.
        self._pending = (
            None
            if outbox is None
            else select(
                func.count(), func.extract("epoch", func.now() - func.min(outbox.c.created_at))
            )
            .select_from(outbox)
            .where(outbox.c.published_at.is_(None))
        )

    async def run(self) -> None:
        # A first pause: nothing to report before the service has started, and its first
        # requests are not made to share the pool with a sample.
        while True:
            await asyncio.sleep(self.every_seconds)
            await self.sample()

    async def sample(self) -> None:
        await asyncio.gather(self._dependencies(), self._outbox(), self._queues())

    async def _dependencies(self) -> None:
        _, report = await readiness(self.checks)
        for name, word in report.items():
            self.metrics.dependency_up.labels(name).set(1 if word == "ok" else 0)

    async def _outbox(self) -> None:
        if self.engine is None or self._pending is None:
            return
        try:
            async with self.engine.connect() as conn:
                count, age = (await conn.execute(self._pending)).one()
        except Exception as exc:  # the database down: the dependency figure says so
            log.debug("could not read the outbox backlog: %r", exc)
            return
        self.metrics.outbox_pending.set(count)
        self.metrics.outbox_oldest_age.set(float(age or 0.0))

    async def _queues(self) -> None:
        if self.broker is None or not self.queues or not self.broker.is_connected:
            return
        try:
            if self._channel is None or self._channel.is_closed:
                self._channel = await self.broker.channel()
            # The AMQP channel itself: aio-pika's robust one answers a passive declare of a queue
            # it knows from its cache, with the figures of its first declaration.
            amqp = await self._channel.get_underlay_channel()
            for name in self.queues:
                declared = await amqp.queue_declare(name, passive=True)
                self.metrics.queue_messages.labels(name).set(declared.message_count or 0)
                dead = QueueSpec(name, ()).dead_letter_queue
                declared = await amqp.queue_declare(dead, passive=True)
                self.metrics.dead_letters.labels(dead).set(declared.message_count or 0)
        except Exception as exc:
            log.debug("could not read queue depths: %r", exc)
            self._channel = None
