"""Protection: a slow client is closed (4008) while the others get every event promptly; a dead
peer is closed; oversized frames, floods, too many rooms or connections and foreign origins
are refused, each with its code."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from taskwire.notifier.app import Notifier
from taskwire.testkit.board import task_event
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.support.amqp import EventSender
from tests.support.notifier import add_member, client, url_of

Start = Callable[..., AbstractAsyncContextManager[Notifier]]


async def test_a_client_that_stops_reading_is_closed_and_the_others_keep_up(
    start: Start, users: Users, projects_service: str, events: EventSender
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    room = f"project:{project}"
    big = "x" * 20_000
    async with (
        start(send_queue_bytes=512 * 1024) as notifier,
        client(notifier, ada, max_queue=1, max_size=None) as stalled,
        client(notifier, ada, max_size=None) as reader,
    ):
        await stalled.subscribe(room)
        await reader.subscribe(room)
        stalled.connection.transport.pause_reading()  # reads nothing more, as a stuck browser
        sent = [task_event(project, workspace, f"{n}", description=big) for n in range(600)]
        reading = asyncio.create_task(reader.events(600))  # reads as the events are published
        await events.publish(*sent)
        frames = await asyncio.wait_for(reading, 30)
        assert [f["seq"] for f in frames] == list(range(1, 601))
        stalled.connection.transport.resume_reading()
        assert await stalled.closed() == 4008


async def test_a_dead_peer_is_closed(start: Start, users: Users) -> None:
    ada = users("ada")
    async with start(ping_interval_seconds=0.2, ping_timeout_seconds=0.3) as notifier:
        port = int(url_of(notifier).rsplit(":", 1)[1].split("/")[0])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {ada.token}\r\n\r\n"
            ).encode()
        )
        assert b"101" in await reader.readline()
        await eventually(lambda: len(notifier.sessions) == 1, what="the session")
        # Never answers a ping: the server gives up on it within interval + timeout.
        await eventually(lambda: not notifier.sessions, timeout=3, what="the dead peer closed")
        writer.close()


async def test_oversized_frames_and_floods_are_refused(start: Start, users: Users) -> None:
    ada = users("ada")
    async with start(messages_per_second=5.0) as notifier:
        async with client(notifier, ada) as feed:
            await feed.connection.send("x" * 70_000)
            assert await feed.closed() == 1009  # message too big
        async with client(notifier, ada) as feed:
            for _ in range(30):
                await feed.send(op="presence", room="user:x")
            assert await feed.closed() == 4029


async def test_rooms_and_connections_are_limited(start: Start, users: Users) -> None:
    ada = users("ada")
    async with start(rooms_per_connection=1, connections_per_user=2) as notifier:
        async with client(notifier, ada) as one, client(notifier, ada):
            assert (await one.subscribe(f"user:{ada.id}"))["op"] == "subscribed"
            refused = await one.subscribe(f"workspace:{ada.id}")
            assert (refused["op"], refused["code"]) == ("error", "too_many_rooms")
            async with connect(url_of(notifier)) as third:
                await third.send(f'{{"op": "auth", "token": "{ada.token}"}}')
                with pytest.raises(ConnectionClosed) as closed:
                    await third.recv()
                assert closed.value.rcvd is not None
                assert closed.value.rcvd.code == 4029
        # Closed connections no longer count.
        async with client(notifier, ada), client(notifier, ada):
            pass


async def refused_status(notifier: Notifier, origin: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url_of(notifier), origin=Origin(origin)):
            pass
    return refused.value.response.status_code


async def test_production_admits_only_the_listed_browser_origins(
    start: Start, users: Users
) -> None:
    ada = users("ada")
    async with start(environment="production", allowed_origins=["https://app.example"]) as notifier:
        assert await refused_status(notifier, "https://evil.example") == 403
        async with client(notifier, ada, origin=Origin("https://app.example")):
            pass
        async with client(notifier, ada):  # no Origin: not a browser
            pass
    async with start(environment="production", allowed_origins=[]) as notifier:
        assert await refused_status(notifier, "https://app.example") == 403  # none listed
        async with client(notifier, ada):
            pass


async def test_outside_production_any_origin_connects(start: Start, users: Users) -> None:
    async with (
        start(environment="development", allowed_origins=["https://app.example"]) as notifier,
        client(notifier, users("ada"), origin=Origin("https://evil.example")),
    ):
        pass


async def test_presence_lists_who_is_in_a_room(
    notifier: Notifier, users: Users, projects_service: str
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace, project = await workspace_and_project(projects_service, ada)
    await add_member(projects_service, ada, workspace, bob)
    room = f"project:{project}"
    async with client(notifier, ada) as one, client(notifier, bob) as two:
        await one.subscribe(room)
        await two.subscribe(room)
        await one.send(op="presence", room=room)
        answer: dict[str, Any] = await one.next()
        assert answer == {
            "op": "presence",
            "room": room,
            "users": sorted([str(ada.id), str(bob.id)]),
        }
