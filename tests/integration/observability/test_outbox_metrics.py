"""The outbox's backlog and age while the broker is away, and what the relay then publishes,
or gets back as unroutable, by event type."""

from __future__ import annotations

from aio_pika.abc import AbstractRobustConnection

from taskwire.testkit.rest import post
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.integration.observability.conftest import BehindProxy
from tests.support.amqp import open_tap
from tests.support.metrics import Scrape, scrape


async def test_the_backlog_grows_while_the_broker_is_down_and_drains_when_it_returns(
    projects_behind_proxy: BehindProxy,
    users: Users,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> None:
    url, broker = projects_behind_proxy.url, projects_behind_proxy.broker
    # Someone takes workspace events; nobody takes member events, which come back unroutable.
    tap = await open_tap(amqp, exchange_names[0], "workspace.*")

    async def showing(wanted: dict[str, float]) -> Scrape | None:
        found = await scrape(url)
        return found if all(found.value(k) == v for k, v in wanted.items()) else None

    await eventually(lambda: showing({"taskwire_outbox_pending_events": 0}), what="empty")
    await broker.cut()
    await post(url, users("ada"), "/workspaces", {"name": "Acme"})  # accepted all the same
    backlog = await eventually(
        lambda: showing({"taskwire_outbox_pending_events": 2}), what="two events kept"
    )
    assert backlog is not None
    assert backlog.value("taskwire_outbox_oldest_pending_age_seconds") > 0
    assert backlog.total("taskwire_events_published_total") == 0

    await broker.start()
    drained = await eventually(
        lambda: showing({"taskwire_outbox_pending_events": 1}), timeout=30, what="published"
    )
    assert drained is not None
    assert drained.value("taskwire_events_published_total", type="workspace.created") == 1
    assert drained.value("taskwire_events_returned_total", type="member.added") >= 1
    assert (await tap.next()).type == "workspace.created"
