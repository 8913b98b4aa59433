"""Redis refusing writes for a while (out of memory; a replica after a failover) costs the feed
nothing: the events wait in the queue's order while Redis refuses them, nothing of a refused
batch is kept, and once Redis takes writes again each is numbered once per room, gapless, in
the order the broker delivered them, live to a watcher; none is dead-lettered.

The notifier under test talks to a redis-server of the test's own, the only one it may fill or
demote."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.common.events import Envelope
from taskwire.notifier.app import Notifier
from taskwire.notifier.settings import NotifierSettings
from taskwire.testkit.board import task_event
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.support.amqp import EventSender
from tests.support.notifier import client, workspace_event
from tests.support.redis_server import PrivateRedis, history, private_redis


@pytest.fixture
async def primary() -> AsyncIterator[PrivateRedis]:
    async with private_redis() as server:
        yield server


@pytest.fixture
def overrides(primary: PrivateRedis) -> dict[str, Any]:
    return {"redis_url": primary.url}


async def kept(store: PrivateRedis, settings: NotifierSettings, room: str) -> list[str]:
    """The ids of the events `room`'s history holds, in its numbers' order, checking that the
    numbers run 1, 2, 3, ... up to the room's counter."""
    keys = f"{settings.redis_key_prefix}notifier:room:{room}"
    entries = await history(store.client, keys)
    numbers = [number for number, _ in entries]
    counter = int(await store.client.get(f"{keys}:seq") or 0)
    assert numbers == list(range(1, counter + 1)), f"{room}: {numbers}, counter {counter}"
    return [frame["event"]["id"] for _, frame in entries]


async def dead_lettered(amqp: AbstractRobustConnection, settings: NotifierSettings) -> int:
    channel = await amqp.channel()
    dlq = await channel.declare_queue(f"{settings.consumer_queue}.dlq", passive=True)
    await channel.close()
    return dlq.declaration_result.message_count or 0


Step = Callable[[], Awaitable[None]]
Scenario = Callable[[Step, Step], Awaitable[None]]


@pytest.fixture
def refused_for_a_while(
    notifier: Notifier,
    users: Users,
    projects_service: str,
    events: EventSender,
    amqp: AbstractRobustConnection,
    settings: NotifierSettings,
    primary: PrivateRedis,
) -> Scenario:
    async def scenario(refuse: Step, take_again: Step) -> None:
        """Events sent while `refuse` holds wait, and are numbered as they were sent once
        `take_again` has run."""
        ada = users("ada")
        workspace, project = await workspace_and_project(projects_service, ada)
        rooms = [f"project:{project}", f"workspace:{workspace}"]
        sent: list[Envelope] = [
            workspace_event(workspace, f"name {n}")
            if n % 3 == 0
            else task_event(project, workspace, f"task {n}")
            for n in range(9)
        ]
        async with client(notifier, ada) as feed:
            for room in rooms:
                assert (await feed.subscribe(room))["op"] == "subscribed"
            await events.publish(sent[0])
            frames = await feed.events(1)
            seen = f"{settings.redis_key_prefix}notifier:seen:*"
            marks = [key async for key in primary.client.scan_iter(match=seen)]
            before = [await kept(primary, settings, room) for room in rooms]
            await refuse()
            turned_down = await primary.scripts_turned_down()
            await events.publish(*sent[1:])

            async def retried() -> bool:
                return await primary.scripts_turned_down() >= turned_down + 3

            await eventually(retried, what="the refused batch tried again, and again")
            # A refused batch leaves nothing behind: no number, no entry, no mark that it was seen.
            assert [await kept(primary, settings, room) for room in rooms] == before
            assert [key async for key in primary.client.scan_iter(match=seen)] == marks
            await take_again()
            frames += await feed.events(len(sent) - 1)
        assert [frame["event"]["id"] for frame in frames] == [str(e.id) for e in sent]
        for room in rooms:
            mine = [f for f in frames if f["room"] == room]
            assert [f["seq"] for f in mine] == list(range(1, len(mine) + 1)), room
            assert len({f["epoch"] for f in mine}) == 1, room
            assert await kept(primary, settings, room) == [f["event"]["id"] for f in mine]
        assert await dead_lettered(amqp, settings) == 0

    return scenario


async def test_events_refused_for_memory_wait_their_turn_and_are_numbered_once_in_order(
    refused_for_a_while: Scenario, primary: PrivateRedis
) -> None:
    await refused_for_a_while(primary.out_of_memory, primary.memory_back)


async def test_events_refused_by_a_demoted_primary_wait_for_it_to_lead_again(
    refused_for_a_while: Scenario, primary: PrivateRedis
) -> None:
    async with private_redis() as standby:

        async def failover() -> None:
            """The standby promoted; the notifier's server, demoted under it, answers READONLY."""
            await standby.replica_of(primary)
            await eventually(lambda: standby.caught_up_with(primary), what="standby in step")
            await standby.replica_of(None)
            await primary.replica_of(standby)
            await eventually(lambda: primary.caught_up_with(standby), what="demoted in step")

        async def lead_again() -> None:
            await primary.replica_of(None)

        await refused_for_a_while(failover, lead_again)
