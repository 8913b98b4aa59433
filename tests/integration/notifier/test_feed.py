"""Rooms carry their events in order with gapless numbers, and a client that reconnects gets
exactly what it missed, or is told it cannot (`recovered: false`), never the other way round."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as redis

from taskwire.notifier.app import Notifier
from taskwire.testkit.board import task_event
from taskwire.testkit.infra import Infra
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import Users
from tests.support.amqp import EventSender
from tests.support.notifier import client


def ids(frames: list[dict[str, Any]]) -> list[str]:
    return [frame["event"]["id"] for frame in frames]


async def test_a_room_gets_its_events_in_order_with_gapless_numbers(
    notifier: Notifier, users: Users, projects_service: str, events: EventSender
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    async with client(notifier, ada) as feed:
        subscribed = await feed.subscribe(f"project:{project}")
        assert subscribed["op"] == "subscribed", subscribed
        assert (subscribed["seq"], "recovered" in subscribed) == (0, False)
        sent = [task_event(project, workspace, f"task {n}") for n in range(60)]
        # Published from several channels at once: the room numbers them as they come.
        await asyncio.gather(*(events.publish(*sent[n::4]) for n in range(4)))
        frames = await feed.events(60)
    assert [frame["seq"] for frame in frames] == list(range(1, 61))
    assert sorted(ids(frames)) == sorted(str(e.id) for e in sent)
    assert {frame["room"] for frame in frames} == {f"project:{project}"}
    assert {frame["epoch"] for frame in frames} == {subscribed["epoch"]}


async def test_resume_within_history_gets_exactly_what_was_missed(
    notifier: Notifier, users: Users, projects_service: str, events: EventSender
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    room = f"project:{project}"
    sent = [
        # Named as a browser names its changes: it knows them by it, live or resumed.
        task_event(project, workspace, f"task {n}").model_copy(
            update={"client_mutation_id": f"tab:{n}"}
        )
        for n in range(12)
    ]
    async with client(notifier, ada) as feed:
        epoch = (await feed.subscribe(room))["epoch"]
        await events.publish(*sent[:5])
        seen = await feed.events(5)
    await events.publish(*sent[5:10])  # while disconnected
    async with client(notifier, ada) as feed:
        await asyncio.sleep(0)  # nothing to wait for: history holds them already
        subscribed = await feed.subscribe(room, since=seen[-1]["seq"], epoch=epoch)
        assert subscribed["recovered"] is True, subscribed
        assert subscribed["seq"] >= 5
        missed = await feed.events(5)
        await events.publish(*sent[10:])
        live = await feed.events(2)
    assert [f["seq"] for f in missed + live] == list(range(6, 13))
    assert ids(missed + live) == [str(e.id) for e in sent[5:]]
    named = [frame["event"]["client_mutation_id"] for frame in seen + missed + live]
    assert named == [f"tab:{n}" for n in range(12)]


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"history_length": 10}


async def test_resume_beyond_history_ahead_of_the_room_or_in_another_epoch_is_not_recovered(
    notifier: Notifier, users: Users, projects_service: str, events: EventSender, infra: Infra
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    room = f"project:{project}"
    async with client(notifier, ada) as feed:
        epoch = (await feed.subscribe(room))["epoch"]
        await events.publish(*(task_event(project, workspace) for _ in range(2)))
        await feed.events(2)
        await events.publish(*(task_event(project, workspace) for _ in range(15)))
        await feed.events(15)
    async with client(notifier, ada) as feed:
        gone = await feed.subscribe(room, since=2, epoch=epoch)  # 3..6 no longer kept
        assert (gone["recovered"], gone["seq"]) == (False, 17), gone
        kept = await client_resume(feed, room, since=12, epoch=epoch)
        assert kept["recovered"] is True
        assert [f["seq"] for f in await feed.events(5)] == [13, 14, 15, 16, 17]
        # Numbers the room never gave in this epoch: the client holds events the room has lost.
        ahead = await client_resume(feed, room, since=20, epoch=epoch)
        assert (ahead["recovered"], ahead["seq"]) == (False, 17), ahead

    # Redis lost the room's state: a new epoch, and old numbers mean nothing in it.
    store = redis.Redis.from_url(infra.redis_url)
    keys = [k async for k in store.scan_iter(match=f"*notifier:room:{room}:*")]
    await store.delete(*keys)
    await store.aclose()
    async with client(notifier, ada) as feed:
        lost = await feed.subscribe(room, since=17, epoch=epoch)
        assert lost["recovered"] is False
        assert lost["epoch"] != epoch


async def client_resume(feed: Any, room: str, **resume: Any) -> dict[str, Any]:
    await feed.send(op="unsubscribe", room=room)
    assert (await feed.next())["op"] == "unsubscribed"
    found: dict[str, Any] = await feed.subscribe(room, **resume)
    return found


async def test_a_live_session_gets_the_frames_of_a_room_redis_lost_and_numbers_anew(
    notifier: Notifier, users: Users, projects_service: str, events: EventSender, infra: Infra
) -> None:
    """A room whose keys Redis lost (they expire after a day idle, or Redis lost them) numbers
    from 1 again in a new epoch: a session that went live at a higher number in the old epoch
    gets those frames all the same, and their epoch tells it what happened."""
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    room = f"project:{project}"
    async with client(notifier, ada) as early:
        await early.subscribe(room)
        await events.publish(*[task_event(project, workspace, f"task {n}") for n in range(4)])
        await early.events(4)
    async with client(notifier, ada) as feed:
        subscribed = await feed.subscribe(room)  # live from number 4 on
        assert subscribed["seq"] == 4
        store = redis.Redis.from_url(infra.redis_url)
        keys = [k async for k in store.scan_iter(match=f"*notifier:room:{room}:*")]
        await store.delete(*keys)  # from under the live session: only the frames can tell it
        await store.aclose()
        await events.publish(*[task_event(project, workspace, f"later {n}") for n in range(2)])
        after = await feed.events(2)
    assert [f["seq"] for f in after] == [1, 2]
    assert {f["epoch"] for f in after} != {subscribed["epoch"]}
