"""The fan-out never dies quietly: a message on the channel that it cannot read costs only itself
(counted, and the sessions it may have concerned told to resume), and a subscription stopped by
an error nobody foresaw makes /readyz answer 503 (`fanout`) and tells every session to resume."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import redis.asyncio as redis

from taskwire.notifier.app import Notifier
from taskwire.testkit.board import task_event
from taskwire.testkit.infra import Infra
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import User, Users
from taskwire.testkit.waiting import eventually
from tests.support.amqp import EventSender
from tests.support.metrics import scrape
from tests.support.notifier import client, http_of

INTERRUPTED = 1012  # reconnect and resume
Publish = Callable[[bytes], Awaitable[None]]


@pytest.fixture
def ada(users: Users) -> User:
    return users("ada")


@pytest.fixture
async def board(ada: User, projects_service: str) -> tuple[UUID, UUID]:
    """A workspace of ada's, and a project in it."""
    return await workspace_and_project(projects_service, ada)


@pytest.fixture
async def publish(notifier: Notifier, infra: Infra) -> AsyncIterator[Publish]:
    """Publish on the test notifier's own fan-out channel, as anything that reaches Redis can."""
    store = redis.Redis.from_url(infra.redis_url)

    async def publishing(message: bytes) -> None:
        await store.publish(notifier.hub.channel, message)

    yield publishing
    await store.aclose()


async def readiness(notifier: Notifier) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=http_of(notifier)) as http:
        found = await http.get("/readyz")
    return found.status_code, found.json()["checks"]


async def test_a_message_it_cannot_read_costs_only_itself(
    notifier: Notifier, ada: User, board: tuple[UUID, UUID], events: EventSender, publish: Publish
) -> None:
    workspace, project = board
    elsewhere = f"project:{uuid4()}"  # a room no session here is in
    unreadable = {
        "sequence": f"{elsewhere}\nseven\n{{}}".encode(),
        "truncated": f"{elsewhere}\n7".encode(),
        "frame": f"{elsewhere}\n7\n".encode() + b'{"op":"event","x":"\xff\xfe"}',
        "revoke": f"!revoke\nnot-an-id\n{uuid4()}".encode(),
    }
    async with client(notifier, ada) as feed:
        await feed.subscribe(f"project:{project}")
        for message in unreadable.values():
            await publish(message)
        sent = task_event(project, workspace)
        await events.publish(sent)
        [frame] = await feed.events(1)
    assert (frame["seq"], frame["event"]["id"]) == (1, str(sent.id))
    found = await scrape(http_of(notifier))
    dropped = {
        reason: found.value("taskwire_notifier_fanout_dropped_total", reason=reason)
        for reason in (*unreadable, "room")
    }
    assert dropped == {"sequence": 1, "truncated": 1, "frame": 1, "revoke": 1, "room": 0}
    assert (await readiness(notifier))[0] == 200


async def test_the_sessions_an_unreadable_message_concerns_are_told_to_resume(
    notifier: Notifier,
    ada: User,
    board: tuple[UUID, UUID],
    projects_service: str,
    events: EventSender,
    publish: Publish,
) -> None:
    """Its rooms' sessions resume (from history, nothing missed); the other rooms' stay live.
    Lines out of place may concern any room: then every session resumes."""
    workspace, project = board
    other_workspace, other = await workspace_and_project(projects_service, ada)
    room = f"project:{project}"
    async with (
        client(notifier, ada) as concerned,
        client(notifier, ada) as bystander,
        client(notifier, ada) as third,
    ):
        epoch = (await concerned.subscribe(room))["epoch"]
        await bystander.subscribe(f"project:{other}")
        await third.subscribe(f"project:{other}")
        await publish(f"{room}\n1\n{{}}\n{room}\nx\n{{}}".encode())
        assert await concerned.closed() == INTERRUPTED
        await events.publish(task_event(other, other_workspace))
        assert [f["seq"] for f in await bystander.events(1) + await third.events(1)] == [1, 1]
        await publish(b"\xff\xfe")  # which room? any
        assert (await bystander.closed(), await third.closed()) == (INTERRUPTED, INTERRUPTED)
    sent = task_event(project, workspace)
    await events.publish(sent)
    async with client(notifier, ada) as resumed:
        subscribed = await resumed.subscribe(room, since=0, epoch=epoch)
        assert subscribed["recovered"] is True, subscribed
        [frame] = await resumed.events(1)
    assert (frame["seq"], frame["event"]["id"]) == (1, str(sent.id))


async def test_an_error_nobody_foresaw_makes_it_unready_until_it_subscribes_again(
    notifier: Notifier,
    ada: User,
    board: tuple[UUID, UUID],
    events: EventSender,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workspace, project = board
    room, hub = f"project:{project}", notifier.hub
    on, failed = hub._on, asyncio.Event()

    def fails_once(data: bytes) -> None:
        monkeypatch.setattr(hub, "_on", on)
        failed.set()
        raise RuntimeError("a bug in the hub")

    monkeypatch.setattr(hub, "_on", fails_once)
    hub.restart_pauses = (3.0, 3.0)  # long enough to see it unready
    async with client(notifier, ada) as feed:
        await feed.subscribe(room)
        await events.publish(task_event(project, workspace))
        await asyncio.wait_for(failed.wait(), 10)
        status, checks = await readiness(notifier)
        assert (status, checks["redis"]) == (503, "ok"), checks
        assert "stopped by RuntimeError('a bug in the hub')" in checks["fanout"], checks
        assert await feed.closed() == INTERRUPTED
    await eventually(lambda: hub.listening.is_set(), what="subscribed again")
    assert await readiness(notifier) == (200, {"broker": "ok", "redis": "ok", "fanout": "ok"})
    found = await scrape(http_of(notifier))
    assert found.value("taskwire_notifier_fanout_restarts_total") == 1
    async with client(notifier, ada) as feed:
        await feed.subscribe(room)
        await events.publish(task_event(project, workspace))
        assert [f["seq"] for f in await feed.events(1)] == [2]


async def test_a_fanout_task_that_ends_leaves_the_process_unready(
    notifier: Notifier, ada: User, board: tuple[UUID, UUID]
) -> None:
    """Every session resumes elsewhere, even one in no room yet: here it would join a room whose
    frames no longer come."""
    room = f"project:{board[1]}"
    [task] = [t for t in asyncio.all_tasks() if t.get_name() == "notifier.fanout"]
    async with client(notifier, ada) as feed, client(notifier, ada) as idle:
        await feed.subscribe(room)
        task.cancel()  # as anything but the process's shutdown could end it
        await asyncio.wait([task])
        status, checks = await readiness(notifier)
        assert status == 503, checks
        assert checks["fanout"].startswith("failing: FanoutDown('the fan-out task ended"), checks
        assert (await feed.closed(), await idle.closed()) == (INTERRUPTED, INTERRUPTED)
    async with client(notifier, ada) as late:
        await late.send(op="subscribe", room=room)
        assert await late.closed() == INTERRUPTED
