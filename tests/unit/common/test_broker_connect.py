"""Connecting to the broker: an attempt the broker cuts short is retried, however the AMQP
library reports it."""

from __future__ import annotations

from typing import cast

from aio_pika.abc import AbstractRobustConnection

from taskwire.common.broker import Broker


class HandshakeCutOnce(Broker):
    """The broker closes the socket between two handshake frames on the first attempt, which
    aiormq reports as StopAsyncIteration (seen when a broker was killed under load)."""

    def __init__(self) -> None:
        super().__init__("amqp://guest:guest@127.0.0.1:1/", "x", "x.dlx")
        self.attempts = 0
        self.opened = cast(AbstractRobustConnection, object())

    async def _open(self) -> AbstractRobustConnection:
        self.attempts += 1
        if self.attempts == 1:
            raise StopAsyncIteration
        return self.opened


async def test_a_handshake_cut_short_is_retried_not_taken_for_a_connection() -> None:
    broker = HandshakeCutOnce()
    assert await broker.connect() is broker.opened
    assert broker.attempts == 2
