"""Consuming every event: numbered into each of its rooms (once, however often delivered) and
published to every notifier process, the deliveries that waited together in one round trip. A
member removed from a workspace is cut off from its rooms at once, on every process."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self
from uuid import UUID

from taskwire.common.events import Envelope, decode, encode
from taskwire.common.events.projects import MEMBER_ADDED, MEMBER_REMOVED
from taskwire.notifier.access import Gatekeeper
from taskwire.notifier.domain import Room, rooms_of
from taskwire.notifier.fanout import Hub
from taskwire.notifier.store.history import Numbering, RoomLog

log = logging.getLogger(__name__)

BINDINGS: Final = ("#",)  # every event: each belongs to some room
MEMBERSHIP: Final = (MEMBER_REMOVED, MEMBER_ADDED)


class RedisStep:
    """The consumer's transaction here: Redis writes are made as the handler goes (each
    idempotent by the event's id), so there is nothing to commit or roll back."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Delivery:
    """An event as the feed takes it: read once, encoded once (the frames' `event`), with its
    rooms and the trace of the message that brought it."""

    event: Envelope
    body: bytes
    rooms: list[Room]
    trace_id: str | None


def parse(body: bytes, trace_id: str | None) -> Delivery:
    """A delivery, or EventDecodeError (the message is dead-lettered with why)."""
    event = decode(body)
    return Delivery(event, encode(event), rooms_of(event), trace_id)


class Feed:
    def __init__(self, room_log: RoomLog, hub: Hub, gatekeeper: Gatekeeper) -> None:
        self._log = room_log
        self._hub = hub
        self._gatekeeper = gatekeeper

    async def publish(self, _: RedisStep, deliveries: list[Delivery]) -> None:
        """Number the deliveries in their order. A membership change takes effect before any
        event after it is numbered (the events up to it go first), as one at a time would."""
        start = 0
        for at, delivery in enumerate(deliveries):
            event = delivery.event
            if event.type in MEMBERSHIP and event.workspace_id is not None:
                await self._number(deliveries[start : at + 1])
                await self._membership(event.type, event.workspace_id, event.subject.id)
                start = at + 1
        await self._number(deliveries[start:])

    async def _number(self, deliveries: list[Delivery]) -> None:
        if not deliveries:
            return
        assigned = {
            (d.event.workspace_id, room.id)
            for d in deliveries
            if d.event.workspace_id is not None
            for room in d.rooms
            if room.kind == "user"
        }
        left = await self._gatekeeper.left(assigned) if assigned else set()
        await self._log.publish(
            [
                Numbering(
                    str(d.event.id),
                    d.body,
                    d.trace_id,
                    # A user who left the workspace no longer sees its events, assigned or not.
                    [
                        str(room)
                        for room in d.rooms
                        if room.kind != "user" or (d.event.workspace_id, room.id) not in left
                    ],
                )
                for d in deliveries
            ]
        )

    async def _membership(self, kind: str, workspace: UUID, user_id: UUID) -> None:
        if kind == MEMBER_REMOVED:
            await self._gatekeeper.removed(workspace, user_id)
            await self._hub.revoke(workspace, user_id)
        else:
            await self._gatekeeper.added(workspace, user_id)
