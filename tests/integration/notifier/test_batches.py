"""Deliveries that piled up are numbered together, and each room still gets its events in the
queue's order with gapless numbers: across rooms, with copies, with a poison message, with a
room whose state Redis lost in part, and with a removal in the middle of the batch. Their acks,
sent a little later to go several at once, are never lost."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis

from taskwire.common.batch_consumer import BatchConsumer
from taskwire.common.consumer import REASON_HEADER
from taskwire.common.events import Envelope, encode
from taskwire.notifier.app import Notifier
from taskwire.notifier.feed_consumer import ACK_WITHIN
from taskwire.notifier.handlers import RedisStep, parse
from taskwire.notifier.settings import NotifierSettings
from taskwire.notifier.store.history import Position
from taskwire.testkit.board import task_event
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.support.amqp import EventSender, dead_letters
from tests.support.notifier import Client, add_member, client, removal_event, workspace_event
from tests.support.redis_server import history


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"consumer_delivery_limit": 2}  # a refused event is dead-lettered at its second try


@contextlib.asynccontextmanager
async def piled_up(notifier: Notifier) -> AsyncIterator[None]:
    """What is published in the block waits in the queue, to be taken as a pile afterwards."""
    await notifier.consumer.stop()
    yield
    await notifier.consumer.start()


async def numbered_together(notifier: Notifier, *sent: Envelope) -> None:
    """`sent` handled by the feed as one batch, as the consumer hands it a pile."""
    await notifier.consumer.batch_handler(RedisStep(), [parse(encode(e), None) for e in sent])


def ids(frames: list[dict[str, Any]]) -> list[str]:
    return [frame["event"]["id"] for frame in frames]


async def nothing_more(feed: Client, room: str) -> None:
    """No further frame has come for the connection: the answer to a presence is next."""
    await feed.send(op="presence", room=room)
    assert (await feed.next())["op"] == "presence"


async def test_a_pile_is_numbered_in_batches_each_room_in_the_queue_s_order(
    notifier: Notifier, users: Users, projects_service: str, events: EventSender
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    async with client(notifier, ada) as feed:
        for room in (f"project:{project}", f"workspace:{workspace}"):
            assert (await feed.subscribe(room))["op"] == "subscribed"
        sent = [
            workspace_event(workspace, f"name {n}")
            if n % 3 == 0
            else task_event(project, workspace, f"task {n}")
            for n in range(120)
        ]
        async with piled_up(notifier):
            await events.publish(*sent)
        frames = await feed.events(len(sent))
    assert notifier.consumer.batches < len(sent), "taken one by one, never together"
    assert ids(frames) == [str(e.id) for e in sent]  # one order across the rooms: the queue's
    for room, count in ((f"project:{project}", 80), (f"workspace:{workspace}", 40)):
        assert [f["seq"] for f in frames if f["room"] == room] == list(range(1, count + 1))


async def test_copies_in_a_batch_or_delivered_again_are_numbered_once(
    notifier: Notifier, users: Users, projects_service: str, events: EventSender
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    room = f"project:{project}"
    a, b, c = (task_event(project, workspace, name) for name in "abc")
    async with client(notifier, ada) as feed:
        await feed.subscribe(room)
        await numbered_together(notifier, a, b, a, c, b)
        await events.publish(a)  # and one delivered again later
        frames = await feed.events(3)
        await eventually(lambda: notifier.consumer.handled == 1, what="the copy consumed")
        await nothing_more(feed, room)
    assert [f["seq"] for f in frames] == [1, 2, 3]
    assert ids(frames) == [str(e.id) for e in (a, b, c)]


async def test_a_poison_message_in_a_pile_is_dead_lettered_and_the_rest_numbered(
    notifier: Notifier,
    users: Users,
    projects_service: str,
    events: EventSender,
    amqp: Any,
    settings: NotifierSettings,
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    sent = [task_event(project, workspace, f"task {n}") for n in range(4)]
    async with client(notifier, ada) as feed:
        await feed.subscribe(f"project:{project}")
        async with piled_up(notifier):
            await events.publish(*sent[:2])
            await events.publish_raw(b'{"not": "an event"}', "task.created")
            await events.publish(*sent[2:])
        frames = await feed.events(4)
    assert [f["seq"] for f in frames] == [1, 2, 3, 4]
    assert ids(frames) == [str(e.id) for e in sent]
    [letter] = await dead_letters(amqp, settings.consumer_queue, 1)
    assert letter.body == b'{"not": "an event"}'
    assert "not a valid event envelope" in str((letter.headers or {})[REASON_HEADER])


@pytest.mark.parametrize(
    ("damage", "kept"),
    [
        pytest.param({"seq": None}, [1, 2, 3], id="counter lost"),
        pytest.param({"seq": "not a number"}, [1, 2, 3], id="counter unreadable"),
        pytest.param({"seq": "1"}, [1, 2, 3], id="counter behind its history"),
        pytest.param({"log": "not a stream"}, [3], id="history of another type"),
    ],
)
async def test_a_room_whose_state_redis_lost_in_part_numbers_on_and_stops_no_other_room(
    notifier: Notifier,
    users: Users,
    projects_service: str,
    events: EventSender,
    amqp: Any,
    settings: NotifierSettings,
    damage: dict[str, str | None],
    kept: list[int],
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    broken = f"workspace:{workspace}"
    await events.publish(workspace_event(workspace), workspace_event(workspace))
    await eventually(lambda: notifier.consumer.handled == 2, what="the room numbered to 2")
    store = redis.Redis.from_url(settings.redis_url)
    keys = f"{settings.redis_key_prefix}notifier:room:{broken}"
    for key, value in damage.items():
        await (
            store.delete(f"{keys}:{key}") if value is None else store.set(f"{keys}:{key}", value)
        )
    after = workspace_event(workspace, "after")
    sent = [task_event(project, workspace, f"task {n}") for n in range(4)]
    try:
        async with client(notifier, ada) as feed:
            await feed.subscribe(f"project:{project}")
            async with piled_up(notifier):
                await events.publish(*sent[:2], after, *sent[2:])
            frames = await feed.events(4)
            before = await notifier.log.position(broken, None)
            # The damaged room's next number follows its last, in the same epoch: a client that
            # saw 2 missed nothing; one that saw 1 is told what it missed is gone if the history
            # holding 2 was.
            assert (before.seq, await notifier.log.position(broken, 2)) == (
                3,
                Position(before.epoch, 3, complete=True),
            )
            assert (await notifier.log.position(broken, 1)).complete == (kept == [1, 2, 3])
            entries = await history(store, keys)
            assert [number for number, _ in entries] == kept
            assert entries[-1][1]["event"]["id"] == str(after.id)
        # The other room's events, before and after it, numbered and sent live; none put aside.
        assert ([f["seq"] for f in frames], ids(frames)) == (
            [1, 2, 3, 4],
            [str(e.id) for e in sent],
        )
        channel = await amqp.channel()
        dlq = await channel.declare_queue(f"{settings.consumer_queue}.dlq", passive=True)
        assert dlq.declaration_result.message_count == 0
        await channel.close()
    finally:
        await store.aclose()


async def test_a_removal_in_a_batch_cuts_off_the_events_after_it(
    notifier: Notifier, users: Users, projects_service: str, events: EventSender
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace, project = await workspace_and_project(projects_service, ada)
    member = await add_member(projects_service, ada, workspace, bob)
    before = task_event(project, workspace, "before", assignee_id=bob.id)
    after = task_event(project, workspace, "after", assignee_id=bob.id)
    async with client(notifier, bob) as bobs, client(notifier, ada) as adas:
        await bobs.subscribe(f"user:{bob.id}")
        await adas.subscribe(f"project:{project}")
        await numbered_together(notifier, before, removal_event(member), after)
        [seen_by_bob] = await bobs.events(1)
        assert ids(await adas.events(2)) == [str(before.id), str(after.id)]
        await nothing_more(bobs, f"user:{bob.id}")
    assert (seen_by_bob["room"], seen_by_bob["seq"]) == (f"user:{bob.id}", 1)
    assert seen_by_bob["event"]["id"] == str(before.id)


async def test_acks_wait_a_little_and_a_stop_sends_the_one_waiting(
    notifier: Notifier, users: Users, projects_service: str, events: EventSender
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    room = f"project:{project}"
    consumer = notifier.consumer
    async with client(notifier, ada) as feed:
        await feed.subscribe(room)
        await events.publish(task_event(project, workspace, "acked late"))
        await feed.events(1)
        await asyncio.sleep(ACK_WITHIN * 3)
        await BatchConsumer.stop(consumer)  # as a crash would: whatever is unacked comes back
        await consumer.start()
        await events.publish(task_event(project, workspace, "acked at stop"))
        await feed.events(1)
        await consumer.stop()  # sends the ack still waiting
        await consumer.start()
        await events.publish(task_event(project, workspace, "last"))
        [last] = await feed.events(1)
        await nothing_more(feed, room)
    assert last["seq"] == 3
    assert consumer.handled == 3, "an event came back: its ack was never sent"
