"""A dead-letter queue is visible: the sampler reads each consumed queue's `<queue>.dlq` depth
(a passive declare) into taskwire_dead_letter_queue_messages, which /metrics exports and
deploy/prometheus/rules.yml alerts on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taskwire.common.broker import OutgoingMessage
from taskwire.common.metrics import ServiceMetrics
from taskwire.common.sampling import Sampler
from taskwire.testkit.waiting import eventually
from tests.support.factories import BrokerFactory
from tests.support.replica import apply_item

METRIC = "taskwire_dead_letter_queue_messages"


async def test_a_dead_lettered_message_shows_in_its_queues_depth(
    make_broker: BrokerFactory, start_consumer: Callable[..., Any], unique: str
) -> None:
    broker = make_broker()
    consumer = await start_consumer(broker, apply_item)
    metrics = ServiceMetrics()
    sampler = Sampler(metrics, {}, broker=broker, queues=(consumer.spec.name,))
    dlq = {"queue": f"q{unique}.dlq"}

    async def depth() -> float | None:
        await sampler.sample()
        return metrics.registry.get_sample_value(METRIC, dlq)

    assert await depth() == 0
    await broker.publish([OutgoingMessage("item.created", b"\x00 not json", "garbage")])
    await eventually(lambda: consumer.dead_lettered == 1, what="dead-lettered")

    await eventually(lambda: depth(), what="a depth of 1")  # the broker counts it shortly after
    assert await depth() == 1
    assert f'{METRIC}{{queue="q{unique}.dlq"}} 1.0' in metrics.exposition().decode()
