"""One client connection: its subscriptions and the protocol's operations (docs/notifier.md).

client: auth (first, unless the Authorization header carried the token; again with a fresh
token before the last one expires), subscribe (with `since` and `epoch` to resume), unsubscribe,
presence. server: ready, renewed, subscribed, event, unsubscribed, presence, error. Close codes:
4001 unauthenticated (or the token expired), 4008 too slow, 4029 too many connections or
messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

import orjson
import redis.asyncio as redis
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from taskwire.common.auth import Caller, TokenVerifier
from taskwire.common.errors import ServiceUnavailable, Unauthenticated
from taskwire.notifier.access import Forbidden, Gatekeeper
from taskwire.notifier.api.credentials import Credentials
from taskwire.notifier.domain import MessageRate, parse_room
from taskwire.notifier.fanout import Hub
from taskwire.notifier.metrics import NotifierMetrics
from taskwire.notifier.store.registry import Registry
from taskwire.notifier.use_cases.joining import Joining

log = logging.getLogger(__name__)

UNAUTHENTICATED: Final = 4001
TOO_SLOW: Final = 4008
TOO_MANY: Final = 4029
INTERRUPTED: Final = 1012  # service restart: reconnect and resume


@dataclass
class Services:
    """What every session of a process shares."""

    hub: Hub
    joining: Joining
    gatekeeper: Gatekeeper
    registry: Registry
    verifier: TokenVerifier
    token_leeway_seconds: float
    rooms_per_connection: int
    messages_per_second: float
    metrics: NotifierMetrics


class Session:
    def __init__(
        self, connection: ServerConnection, caller: Caller, services: Services, name: str
    ) -> None:
        self.connection = connection
        self.user_id = caller.user_id
        self.name = name
        self._services = services
        self.rooms: dict[str, UUID | None] = {}  # room -> its workspace
        self._rate = MessageRate(services.messages_per_second)
        self._closing = False
        self._chores: set[asyncio.Task[None]] = set()
        self.credentials = Credentials(
            caller, services.verifier, services.token_leeway_seconds, self._token_expired
        )

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(orjson.dumps(message), text=True)

    async def error(self, code: str, message: str, room: str | None = None) -> None:
        body: dict[str, Any] = {"op": "error", "code": code, "message": message}
        if room is not None:
            body["room"] = room
        await self.send(body)

    async def handle(self, raw: str | bytes) -> None:
        if not self._rate.take():
            self._close(TOO_MANY, "too many messages")
            return
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            await self.error("bad_request", "a message is a JSON object with an 'op'")
            return
        if not isinstance(message, dict):
            await self.error("bad_request", "a message is a JSON object with an 'op'")
            return
        op = message.get("op")
        handler = {
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "presence": self._presence,
            "auth": self._renew,
        }.get(op if isinstance(op, str) else "")
        if handler is None:
            await self.error("unknown_op", f"unknown op {str(op)[:50]!r}")
            return
        await handler(message)

    async def _renew(self, message: dict[str, Any]) -> None:
        try:
            exp = await self.credentials.renew(message.get("token"))
        except Unauthenticated as exc:
            self._close(UNAUTHENTICATED, str(exc)[:120])
            return
        await self.send({"op": "renewed", "user_id": str(self.user_id), "exp": int(exp)})

    def _token_expired(self) -> None:
        self._close(UNAUTHENTICATED, "token expired: connect again with a fresh one")

    async def _subscribe(self, message: dict[str, Any]) -> None:
        name = message.get("room")
        room = parse_room(name)
        if room is None:
            await self.error(
                "bad_request", "room must be project:<id>, workspace:<id> or user:<id>"
            )
            return
        key = str(room)
        since, epoch = message.get("since"), message.get("epoch")
        if since is not None and (type(since) is not int or since < 0):
            await self.error("bad_request", "since must be a whole number", key)
            return
        if key not in self.rooms and len(self.rooms) >= self._services.rooms_per_connection:
            await self.error("too_many_rooms", "too many rooms on this connection", key)
            return
        try:
            granted = await self._services.gatekeeper.admit(self.credentials.caller, room)
            await self._services.joining.join(self, key, granted, since, epoch)
        except Forbidden as exc:
            await self.error("forbidden", str(exc), key)
        except (ServiceUnavailable, redis.RedisError, OSError) as exc:
            self.drop(key)
            log.warning("could not subscribe %s to %s: %r", self.name, key, exc)
            await self.error("unavailable", "the room cannot be joined right now; retry", key)

    def holds(self, room: str) -> bool:
        return not self._closing and room in self.rooms

    def drop(self, room: str) -> None:
        self.rooms.pop(room, None)
        self._services.hub.leave(room, self)

    async def _unsubscribe(self, message: dict[str, Any]) -> None:
        room = str(message.get("room"))
        if room not in self.rooms:
            await self.error("not_subscribed", "not subscribed to this room", room)
            return
        await self._leave(room)
        await self.send({"op": "unsubscribed", "room": room})

    async def _presence(self, message: dict[str, Any]) -> None:
        room = str(message.get("room"))
        if room not in self.rooms:
            await self.error("not_subscribed", "subscribe to a room to see who is there", room)
            return
        users = await self._services.registry.present(room)
        await self.send({"op": "presence", "room": room, "users": users})

    async def _leave(self, room: str) -> None:
        self.drop(room)
        await self._services.registry.leave(room, self.user_id, self.name)

    async def close(self) -> None:
        """The connection has ended: leave every room."""
        self.credentials.cancel()
        for room in list(self.rooms):
            self._services.hub.leave(room, self)
        try:
            for room in list(self.rooms):
                await self._services.registry.leave(room, self.user_id, self.name)
            await self._services.registry.disconnect(self.user_id, self.name)
        except (redis.RedisError, OSError) as exc:
            log.warning("could not clear %s's presence (it expires): %s", self.name, exc)
        self.rooms.clear()

    # What the hub calls: never waits.
    def too_slow(self) -> None:
        if self._close(TOO_SLOW, "too slow: resume with since and epoch"):
            self._services.metrics.slow_closes.inc()

    def interrupted(self) -> None:
        self._close(INTERRUPTED, "interrupted: reconnect and resume with since and epoch")

    def revoked(self, workspace_id: UUID) -> None:
        lost = [room for room, ws in self.rooms.items() if ws == workspace_id]
        for room in lost:
            self.drop(room)
        if lost:
            self._chore(self._tell_revoked(lost))

    async def _tell_revoked(self, rooms: list[str]) -> None:
        for room in rooms:
            with contextlib.suppress(ConnectionClosed):
                await self.error("forbidden", "no longer a member of this room's workspace", room)
            await self._services.registry.leave(room, self.user_id, self.name)

    def _close(self, code: int, reason: str) -> bool:
        """Start closing the connection; False when it was closing already."""
        if self._closing:
            return False
        self._closing = True
        self.credentials.cancel()
        for room in list(self.rooms):
            self._services.hub.leave(room, self)
        self._chore(self.connection.close(code, reason))
        return True

    def _chore(self, work: Coroutine[Any, Any, None]) -> None:
        """Work the hub starts without waiting for it; kept referenced until it is done."""
        task = asyncio.get_running_loop().create_task(work)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)
