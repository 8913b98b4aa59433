"""This process's side of the fan-out: which of its sessions are in which room, and the frames
Redis publishes (numbered once, by whichever process consumed the event) sent to them.

A room's frame is sent as the same bytes to all its live sessions at once (`broadcast`), without
waiting for any of them. A session whose unsent bytes pass the limit is closed (4008, too slow)
instead: it resumes from history. A session joining a room collects the room's frames while its
backlog is sent, then goes live past the last number the backlog held; what it collects counts
as unsent, so a session that cannot take its backlog cannot hoard the room's traffic either.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from uuid import UUID

import redis.asyncio as redis
from prometheus_client import Counter
from websockets.asyncio.server import ServerConnection, broadcast

log = logging.getLogger(__name__)

REVOKE = b"!revoke"
_T = TypeVar("_T")


class Member(Protocol):
    """A session, as the hub sees it."""

    connection: ServerConnection
    user_id: UUID

    def too_slow(self) -> None: ...

    def interrupted(self) -> None: ...

    def revoked(self, workspace_id: UUID) -> None: ...


@dataclass
class Collected:
    """A joining member's frames of the room that came while its backlog was being sent."""

    frames: list[tuple[int, bytes]] = field(default_factory=list)
    size: int = 0


def unsent(connection: ServerConnection) -> int:
    """Bytes written to the connection that its peer has not taken yet."""
    transport = connection.transport
    return 0 if transport is None else transport.get_write_buffer_size()


class Hub:
    def __init__(
        self, client: redis.Redis, channel: str, send_limit: int, deliveries: Counter
    ) -> None:
        self._redis = client
        self.channel = channel
        self._limit = send_limit
        self._deliveries = deliveries
        # room -> live member -> the last sequence number it had before it went live
        self._live: dict[str, dict[Member, int]] = defaultdict(dict)
        self._joining: dict[str, dict[Member, Collected]] = defaultdict(dict)
        self._by_user: dict[UUID, set[Member]] = defaultdict(set)
        self.listening = asyncio.Event()

    def rooms(self) -> int:
        """How many rooms have a live member here."""
        return len(self._live)

    def connected(self, member: Member) -> None:
        self._by_user[member.user_id].add(member)

    def disconnected(self, member: Member) -> None:
        self._by_user[member.user_id].discard(member)
        if not self._by_user[member.user_id]:
            del self._by_user[member.user_id]

    def join(self, room: str, member: Member) -> None:
        """Start collecting the room's frames for `member` (before its backlog is read)."""
        _remove(self._live, room, member)
        self._joining[room][member] = Collected()

    def catch_up(self, room: str, member: Member, last: int) -> list[tuple[int, bytes]]:
        """`member` has everything up to `last`: the frames collected since that are newer, to
        send in order. When there are none, it goes live at once (no await in between, so no
        frame can come between the last collected one and the first live one), unless it has
        left the room meanwhile (revoked, closed): then it stays out."""
        joining = self._joining.get(room, {})
        collected = joining.get(member)
        if collected is None:
            return []
        newer = [(seq, frame) for seq, frame in collected.frames if seq > last]
        if newer:
            joining[member] = Collected()
            return newer
        del joining[member]
        if not joining:
            self._joining.pop(room, None)
        self._live[room][member] = last
        return []

    def leave(self, room: str, member: Member) -> None:
        _remove(self._live, room, member)
        _remove(self._joining, room, member)

    def deliver(self, room: str, seq: int, frame: bytes) -> None:
        slow: list[Member] = []
        for member, collected in self._joining.get(room, {}).items():
            if collected.size + len(frame) + unsent(member.connection) > self._limit:
                slow.append(member)
                continue
            collected.frames.append((seq, frame))
            collected.size += len(frame)
        receivers = []
        # Over live.items() itself, not a copy: at 10,000 sessions a copy per frame was most of
        # the collector's work. too_slow() changes the dicts, so it runs after the loops.
        for member, last in self._live.get(room, {}).items():
            if seq <= last:
                continue  # already sent with its backlog
            transport = member.connection.transport  # unsent(), inlined: the hot path
            if transport is not None and transport.get_write_buffer_size() > self._limit:
                slow.append(member)
                continue
            receivers.append(member.connection)
        for member in slow:
            member.too_slow()
        if not receivers:
            return
        broadcast(receivers, frame, text=True)
        self._deliveries.inc(len(receivers))

    async def revoke(self, workspace_id: UUID, user_id: UUID) -> None:
        """Tell every notifier process that the user left the workspace."""
        message = b"\n".join((REVOKE, str(workspace_id).encode(), str(user_id).encode()))
        await self._redis.publish(self.channel, message)

    async def run(self) -> None:
        """Deliver what Redis publishes until cancelled; resubscribe after a lost connection."""
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.listening.set()
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            self._on(message["data"])
                        # Buffered messages come without a pause: let the loop flush sockets
                        # (and read theirs) between two, or a burst lands as one lump.
                        await asyncio.sleep(0)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                self.listening.clear()
                log.warning("redis fan-out lost (%s); resubscribing", exc)
                # Frames published meanwhile never reach the live sessions: each must resume.
                self._drop_everyone()
                await asyncio.sleep(0.5)

    def _on(self, data: bytes) -> None:
        """A revoke, or the frames of a batch, in order: lines of room, number and frame (a
        frame is JSON on one line)."""
        lines = data.split(b"\n")
        if lines[0] == REVOKE:
            self._revoked(UUID(lines[1].decode()), UUID(lines[2].decode()))
            return
        for at in range(0, len(lines) - 2, 3):
            self.deliver(lines[at].decode(), int(lines[at + 1]), lines[at + 2])

    def _revoked(self, workspace_id: UUID, user_id: UUID) -> None:
        for member in list(self._by_user.get(user_id, ())):
            member.revoked(workspace_id)

    def _drop_everyone(self) -> None:
        members = {m for room in self._live.values() for m in room}
        members |= {m for room in self._joining.values() for m in room}
        for member in members:
            member.interrupted()


def _remove(rooms: dict[str, dict[Member, _T]], room: str, member: Member) -> None:
    """Take `member` out of `room`, and the room out of `rooms` once it has no member left (so
    `rooms` holds only rooms someone is in)."""
    members = rooms.get(room)
    if members is not None:
        members.pop(member, None)
        if not members:
            del rooms[room]
