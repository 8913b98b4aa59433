"""A session entering a room it has a pass to: checked once it is in, told where the room
stands, sent what it missed (a page of history at a time, at its client's pace), then live."""

from __future__ import annotations

import contextlib
from typing import Any, Protocol
from uuid import UUID

from websockets.protocol import State

from taskwire.notifier.access import Forbidden, Gatekeeper, Pass
from taskwire.notifier.fanout import Hub, Member
from taskwire.notifier.metrics import NotifierMetrics
from taskwire.notifier.store.history import HistoryLost, RoomLog
from taskwire.notifier.store.registry import Registry
from taskwire.notifier.use_cases.catchup import CatchUp


class Joiner(Member, Protocol):
    """A session, as it joins a room."""

    name: str
    rooms: dict[str, UUID | None]  # room -> its workspace

    def holds(self, room: str) -> bool: ...

    def drop(self, room: str) -> None: ...

    async def send(self, message: dict[str, Any]) -> None: ...


class Joining:
    def __init__(
        self,
        hub: Hub,
        room_log: RoomLog,
        gatekeeper: Gatekeeper,
        registry: Registry,
        catch_up: CatchUp,
        metrics: NotifierMetrics,
    ) -> None:
        self._hub = hub
        self._log = room_log
        self._gatekeeper = gatekeeper
        self._registry = registry
        self._catch_up = catch_up
        self._metrics = metrics

    async def join(
        self, session: Joiner, room: str, granted: Pass, since: int | None, epoch: object
    ) -> None:
        """Forbidden when the pass was voided before the session was in the room; otherwise a
        removal's revoke finds it there, whenever it comes."""
        session.rooms[room] = granted.workspace
        self._hub.join(room, session)
        if not await self._gatekeeper.still_valid(granted, session.user_id):
            told = not session.holds(room)  # the removal's revoke reached it meanwhile
            session.drop(room)
            if told:
                return
            raise Forbidden("no longer a member of this room's workspace")
        position = await self._log.position(room, since)
        reply: dict[str, Any] = {
            "op": "subscribed",
            "room": room,
            "seq": position.seq,
            "epoch": position.epoch,
        }
        recovered = epoch == position.epoch and position.complete
        resume_from = since if recovered else None
        if since is not None:
            reply["recovered"] = recovered
            (self._metrics.recovered if recovered else self._metrics.not_recovered).inc()
        if not session.holds(room):
            return
        await session.send(reply)
        if resume_from is not None and not await self._resume(
            session, room, resume_from, position.seq
        ):
            return
        last = position.seq
        while collected := self._hub.catch_up(room, session, position.epoch, last):  # none: live
            if not await self._send(session, room, [frame for _, frame in collected]):
                return
            last = collected[-1][0]
        if session.holds(room):
            await self._registry.enter(room, session.user_id, session.name)

    async def _resume(self, session: Joiner, room: str, since: int, until: int) -> bool:
        pages = self._log.pages(room, since, until)
        try:
            async with contextlib.aclosing(pages):
                async for page in pages:
                    if not await self._send(session, room, page):
                        return False
        except HistoryLost:
            session.too_slow()  # history moved on while the client took its backlog
            return False
        return True

    async def _send(self, session: Joiner, room: str, frames: list[bytes]) -> bool:
        """False once the session no longer holds the room (revoked, closing, too slow)."""
        if not session.holds(room) or session.connection.state is not State.OPEN:
            return False  # the rest of its backlog would be read for nobody
        sent = await self._catch_up.send(session.connection, frames)
        self._metrics.deliveries.inc(sent)
        if sent < len(frames):
            session.too_slow()
        return session.holds(room)
