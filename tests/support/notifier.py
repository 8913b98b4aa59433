"""A notifier started in the test's loop, WebSocket clients of it, and hand-made events."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from aio_pika.abc import AbstractRobustConnection
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from taskwire.common.events import Envelope, Subject, new_event
from taskwire.common.events.projects import (
    MEMBER_REMOVED,
    WORKSPACE_UPDATED,
    MemberState,
    Role,
    WorkspaceState,
)
from taskwire.common.telemetry import Telemetry
from taskwire.notifier.app import Notifier
from taskwire.notifier.settings import NotifierSettings
from taskwire.testkit.keys import forget_keys
from taskwire.testkit.rest import post
from taskwire.testkit.users import User
from taskwire.testkit.waiting import eventually


@contextlib.asynccontextmanager
async def running_notifier(
    settings: NotifierSettings, amqp: AbstractRobustConnection, telemetry: Telemetry | None = None
) -> AsyncIterator[Notifier]:
    notifier = Notifier(settings, telemetry)
    try:
        async with notifier.running():
            await eventually(lambda: notifier.consumer._tag is not None, what="consuming")
            await eventually(notifier.hub.listening.is_set, what="listening to redis")
            yield notifier
    finally:
        channel = await amqp.channel()
        for queue in (settings.consumer_queue, f"{settings.consumer_queue}.dlq"):
            await channel.queue_delete(queue)
        await channel.close()
        await forget_keys(settings.redis_url, settings.redis_key_prefix)


def url_of(notifier: Notifier) -> str:
    return f"ws://{address_of(notifier)}/ws"


def http_of(notifier: Notifier) -> str:
    """The base URL of the notifier's HTTP routes (/livez, /readyz, /metrics)."""
    return f"http://{address_of(notifier)}"


def address_of(notifier: Notifier) -> str:
    assert notifier.server is not None
    port = next(iter(notifier.server.sockets)).getsockname()[1]
    return f"127.0.0.1:{port}"


class Client:
    """A WebSocket client of the feed: sends ops, reads frames as dicts."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, **message: Any) -> None:
        await self.connection.send(orjson.dumps(message).decode())

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv(), timeout)
        found: dict[str, Any] = orjson.loads(raw)
        return found

    async def subscribe(self, room: str, **resume: Any) -> dict[str, Any]:
        await self.send(op="subscribe", room=room, **resume)
        return await self.next()

    async def closed(self) -> int:
        """Read until the server closes the connection; its close code."""
        try:
            while True:
                await self.next()
        except ConnectionClosed as closed:
            received = closed.rcvd
        if received is None:
            raise AssertionError("closed without a close frame")
        return received.code

    async def events(self, count: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while len(found) < count:
            frame = await self.next()
            assert frame["op"] == "event", frame
            found.append(frame)
        return found


@contextlib.asynccontextmanager
async def client(
    notifier: Notifier, user: User, token: str | None = None, **options: Any
) -> AsyncIterator[Client]:
    """A client authenticated as `user` (with `token` when given, else the user's own)."""
    async with connect(url_of(notifier), **options) as connection:
        found = Client(connection)
        await found.send(op="auth", token=token or user.token)
        ready = await found.next()
        assert ready == {"op": "ready", "user_id": str(user.id)}, ready
        yield found


async def add_member(
    projects_service: str, owner: User, workspace: UUID, user: User
) -> dict[str, Any]:
    """`user` made a member of `workspace` by its owner; the member as the service answered."""
    body = {"user_id": str(user.id), "email": user.email, "display_name": user.name}
    return await post(projects_service, owner, f"/workspaces/{workspace}/members", body)


def workspace_event(workspace: UUID, name: str = "Acme") -> Envelope:
    now = datetime.now(UTC)
    state = WorkspaceState(
        id=workspace, name=name, slug="acme", version=2, created_at=now, updated_at=now
    )
    return new_event(
        WORKSPACE_UPDATED,
        producer="projects",
        subject=Subject(kind="workspace", id=workspace, version=2),
        data=state,
        workspace_id=workspace,
    )


def removal_event(member: dict[str, Any]) -> Envelope:
    """`member.removed` for a member as the projects service answered it when adding them."""
    removed = MemberState.model_validate({**member, "role": Role.MEMBER, "removed": True})
    return new_event(
        MEMBER_REMOVED,
        producer="projects",
        subject=Subject(kind="member", id=removed.user_id, version=removed.version + 1),
        data=removed,
        workspace_id=removed.workspace_id,
    )


async def small_window(notifier: Notifier) -> socket.socket:
    """A socket to the notifier whose receive buffer is tiny: a client that stops reading stalls
    the server's sends after a few kilobytes, not after the kernel's megabytes."""
    host, port = address_of(notifier).split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: the window
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    return sock
