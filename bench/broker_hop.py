"""One hop of the pipeline alone: a persistent message published with confirms, to its delivery
to a consumer on another connection, through a quorum queue (what every Taskwire queue is)
against a classic durable queue in the same run, alternating rounds, at a fixed rate.

This is the floor under click-to-screen that no service code can lower: the relay's publish
reaches the notifier no sooner than this.

    uv run python bench/broker_hop.py [--messages 400] [--rate 50] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.projects_write import AMQP_URL

KINDS: dict[str, dict[str, Any]] = {"classic": {}, "quorum": {"x-queue-type": "quorum"}}


async def hop(kind: str, messages: int, rate: float) -> list[float]:
    """Seconds from each publish to its delivery, in order of delivery."""
    publisher = await aio_pika.connect(AMQP_URL)
    consumer = await aio_pika.connect(AMQP_URL)
    try:
        channel = await publisher.channel(publisher_confirms=True)
        queue = await (await consumer.channel()).declare_queue(
            f"bench-hop-{kind}-{uuid.uuid4().hex[:8]}", durable=True, arguments=KINDS[kind]
        )
        latencies: list[float] = []
        done = asyncio.Event()

        async def received(message: AbstractIncomingMessage) -> None:
            latencies.append(time.perf_counter() - float(message.body))
            await message.ack()
            if len(latencies) >= messages:
                done.set()

        tag = await queue.consume(received)
        start = time.perf_counter()
        for n in range(messages):  # open loop: each at its due time, however late the last
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            body = str(time.perf_counter()).encode()
            persistent = aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            await channel.default_exchange.publish(persistent, routing_key=queue.name)
        await asyncio.wait_for(done.wait(), timeout=30)
        await queue.cancel(tag)
        await queue.delete(if_unused=False, if_empty=False)
        return latencies
    finally:
        await publisher.close()
        await consumer.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"{args.messages} persistent messages at {args.rate:g}/s, publish to delivery, ms")
    for round_ in range(1, args.rounds + 1):
        for kind in KINDS:
            seconds = await hop(kind, args.messages, args.rate)
            p50, p99 = percentile(seconds, 0.5) * 1000, percentile(seconds, 0.99) * 1000
            print(f"  round {round_}  {kind:7s}  p50 {p50:5.2f}  p99 {p99:5.2f}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
