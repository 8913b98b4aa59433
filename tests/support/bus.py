"""What a service under test publishes: each event its actions write to the outbox, read from the
test's tap once the relay has sent it."""

from __future__ import annotations

from dataclasses import dataclass, field

from aio_pika.abc import AbstractIncomingMessage

from taskwire.common.events import Envelope, decode
from taskwire.testkit.waiting import eventually
from tests.support.amqp import EventTap
from tests.support.sql import fetch


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
