"""A queue that makes the broker nack: at its length limit it rejects publishes."""

from __future__ import annotations

from aio_pika.abc import AbstractQueue, AbstractRobustConnection


async def declare_full_queue(
    amqp: AbstractRobustConnection, exchange: str, name: str, binding: str
) -> AbstractQueue:
    """An exclusive queue holding at most one message, bound to `exchange` by `binding`; every
    publish routed to it while it holds one is nacked (`x-overflow: reject-publish`)."""
    channel = await amqp.channel()
    topic = await channel.declare_exchange(exchange, "topic", durable=True)
    queue = await channel.declare_queue(
        name, exclusive=True, arguments={"x-max-length": 1, "x-overflow": "reject-publish"}
    )
    await queue.bind(topic, binding)
    return queue
