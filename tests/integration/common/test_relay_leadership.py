"""Relay leadership: one leader per service; a standby takes over when the leader dies or cannot
reach the broker; a database outage is waited out."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import make_url

from taskwire.common.db import asyncpg_dsn
from taskwire.testkit.waiting import eventually
from tests.support.amqp import open_tap
from tests.support.factories import BrokerFactory, RelayFactory
from tests.support.outbox_db import OutboxDb
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow


async def test_a_standby_takes_over_when_the_leader_session_dies(
    make_broker: BrokerFactory,
    make_relay: RelayFactory,
    outbox_db: OutboxDb,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> None:
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    first = make_relay(make_broker())
    await eventually(lambda: first.is_leader, what="first relay leads")
    second = make_relay(make_broker(), own_wakeup=True)
    await outbox_db.save_item("one")
    await tap.next_message()
    await eventually(lambda: first.published == 1, what="marked published")
    assert (first.is_leader, second.is_leader) == (True, False)
    assert second.published == 0

    pid = await outbox_db.relay_leader_pid(first.config.service)
    assert pid is not None
    await outbox_db.terminate(pid)
    await eventually(lambda: second.is_leader and not first.is_leader, what="second leads")
    event = await outbox_db.save_item("two")
    assert (await tap.next_message()).message_id == str(event.id)
    await eventually(lambda: second.published == 1, what="marked published")
    assert first.published == 1
    await eventually(lambda: outbox_db.relay_leader_pid(first.config.service), what="a leader")
    assert (first.is_leader, second.is_leader) == (False, True)


async def test_a_leader_that_cannot_reach_the_broker_steps_down(
    make_broker: BrokerFactory,
    make_proxy: Callable[[], Any],
    make_relay: RelayFactory,
    outbox_db: OutboxDb,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> None:
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    proxy: TcpProxy = await make_proxy()
    cut_off_broker = make_broker(proxy)
    cut_off = make_relay(cut_off_broker, broker_grace_seconds=0.5)
    await cut_off_broker.wait_connected(timeout=10)
    await eventually(lambda: cut_off.is_leader, what="first relay leads")
    healthy = make_relay(make_broker(), own_wakeup=True)

    await proxy.cut()
    event = await outbox_db.save_item("while cut off")
    assert (await tap.next_message()).message_id == str(event.id)
    await eventually(lambda: healthy.published == 1, what="marked published")
    assert cut_off.published == 0
    assert healthy.is_leader
    assert not cut_off.is_leader
    await proxy.start()
    await cut_off_broker.wait_connected(timeout=10)
    another = await outbox_db.save_item("after")
    assert (await tap.next_message()).message_id == str(another.id)
    await tap.assert_quiet(0.2)


async def test_the_relay_waits_out_a_database_outage_without_spinning(
    make_broker: BrokerFactory,
    make_relay: RelayFactory,
    outbox_db: OutboxDb,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    url = make_url(outbox_db.url)
    postgres = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await postgres.start()
    try:
        relay = make_relay(make_broker(), dsn=asyncpg_dsn(url.set(port=postgres.port)))
        await eventually(lambda: relay.is_leader, what="leadership")
        caplog.set_level(logging.WARNING, logger="taskwire.common.relay")

        await postgres.cut()
        await eventually(lambda: not relay.is_leader, what="session loss noticed")
        event = await outbox_db.save_item("written while the relay is cut off")

        def retries() -> list[float]:
            return [r.created for r in caplog.records if "lost its database session" in r.message]

        # It retries, pausing longer each time (a hot loop would log thousands of times).
        await eventually(lambda: len(retries()) >= 3, what="3 retries")
        times = retries()
        gaps = [later - earlier for earlier, later in itertools.pairwise(times[:3])]
        assert gaps[0] >= 0.15
        assert gaps[1] >= 1.5 * gaps[0]
        await tap.assert_quiet(0.1)

        await postgres.start()
        assert (await tap.next_message(timeout=10)).message_id == str(event.id)
        assert relay.is_leader
    finally:
        await postgres.cut()
