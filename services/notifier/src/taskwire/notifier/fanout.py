"""This process's side of the fan-out: which of its sessions are in which room, and the frames
Redis publishes (numbered once, by whichever process consumed the event) sent to them.

A room's frame is sent as the same bytes to all its live sessions at once (`broadcast`), without
waiting for any of them. A session whose unsent bytes pass the limit is closed (4008, too slow)
instead: it resumes from history. A session joining a room collects the room's frames while its
backlog is sent, then goes live past the last number the backlog held; what it collects counts
as unsent, so a session that cannot take its backlog cannot hoard the room's traffic either.

Whatever happens to the subscription, no session here silently misses a frame: a message it
cannot read, a lost connection and an error nobody foresaw each tell the sessions that may have
missed something to resume (1012), and `/readyz` says whether frames are reaching this process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from uuid import UUID

import redis.asyncio as redis
from websockets.asyncio.server import ServerConnection, broadcast

from taskwire.notifier.fanout_messages import Revoke, Unreadable, read, revoke_message
from taskwire.notifier.metrics import NotifierMetrics

log = logging.getLogger(__name__)

_T = TypeVar("_T")
# Between two reports of unreadable messages: a flood of them is a few lines of log, not one each.
REPORT_SECONDS = 10.0


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


class FanoutDown(Exception):
    """Frames published on the channel are not reaching this process's sessions."""


class Hub:
    def __init__(
        self, client: redis.Redis, channel: str, send_limit: int, metrics: NotifierMetrics
    ) -> None:
        self._redis = client
        self.channel = channel
        self._limit = send_limit
        self._metrics = metrics
        self._deliveries = metrics.deliveries
        # room -> live member -> the last sequence number it had before it went live
        # room -> live member -> the epoch and the last number it had before it went live
        self._live: dict[str, dict[Member, tuple[bytes, int]]] = defaultdict(dict)
        self._joining: dict[str, dict[Member, Collected]] = defaultdict(dict)
        self._by_user: dict[UUID, set[Member]] = defaultdict(set)
        self.listening = asyncio.Event()
        # After an error nobody foresaw: the first pause before subscribing again, and the
        # longest, while it keeps failing without one message delivered.
        self.restart_pauses = (1.0, 30.0)
        self._failures = 0
        self._stopped_by: str | None = None  # the last unforeseen error, until subscribed again
        self._ended: str | None = None  # how run() ended, once it has
        self._unreported = 0
        self._next_report = 0.0

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
        if not self.listening.is_set():
            # The frames published until the subscription is back would never reach it, past
            # its backlog: it resumes once they do, here or (this process unready) elsewhere.
            member.interrupted()

    def catch_up(self, room: str, member: Member, epoch: str, last: int) -> list[tuple[int, bytes]]:
        """`member` has everything of `epoch` up to `last`: the frames collected since that are
        newer (or of a newer epoch: Redis lost the room meanwhile), to send in order. When there
        are none, it goes live at once (no await in between, so no frame can come between the
        last collected one and the first live one), unless it has left the room meanwhile
        (revoked, closed): then it stays out."""
        joining = self._joining.get(room, {})
        collected = joining.get(member)
        if collected is None:
            return []
        had = epoch.encode()
        newer = [(s, f) for s, f in collected.frames if s > last or epoch_of(f) != had]
        if newer:
            joining[member] = Collected()
            return newer
        del joining[member]
        if not joining:
            self._joining.pop(room, None)
        self._live[room][member] = (had, last)
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
        numbered_in: bytes | None = None  # the frame's epoch, read only when it matters
        # Over live.items() itself, not a copy: at 10,000 sessions a copy per frame was most of
        # the collector's work. too_slow() changes the dicts, so it runs after the loops.
        for member, (epoch, last) in self._live.get(room, {}).items():
            if seq <= last:
                # Sent with its backlog, unless Redis lost the room since and numbers it anew
                # from 1: those frames are new, and their epoch tells the client so.
                numbered_in = numbered_in or epoch_of(frame)
                if numbered_in == epoch:
                    continue
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
        await self._redis.publish(self.channel, revoke_message(workspace_id, user_id))

    def check(self) -> None:
        """Readiness: raises `FanoutDown` unless subscribed, delivering what is published."""
        if self._ended is not None:
            raise FanoutDown(f"the fan-out task ended ({self._ended}); restart the process")
        if not self.listening.is_set():
            raise FanoutDown(self._stopped_by or "not subscribed to the fan-out channel")

    async def run(self) -> None:
        """Deliver what Redis publishes until cancelled. Should it end anyway, the process is
        not ready from then on, and its sessions are told to resume (elsewhere)."""
        ended = "it returned"
        try:
            await self._supervise()
        except BaseException as exc:
            ended = repr(exc)
            raise
        finally:
            self._ended = ended
            self.listening.clear()
            # Those in no room too: they would join here, where no frame comes any more.
            self._drop_concerned(self._rooms(), list(self._by_user))

    async def _supervise(self) -> None:
        """Subscribe again after a lost connection, and after an error nobody foresaw (a bug:
        pausing longer while it recurs, and not ready meanwhile). Either way frames published
        meanwhile never reach the sessions here: each must resume."""
        while True:
            try:
                await self._listen()
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                self.listening.clear()
                log.warning("redis fan-out lost (%s); resubscribing", exc)
                self._drop_everyone()
                await asyncio.sleep(0.5)
            except Exception as exc:
                self.listening.clear()
                first, longest = self.restart_pauses
                pause = min(longest, first * 2**self._failures)
                self._failures += 1
                self._stopped_by = f"stopped by {exc!r}; subscribing again in {pause:g} s"
                log.exception("fan-out %s", self._stopped_by)
                self._metrics.fanout_restarts.inc()
                self._drop_everyone()
                await asyncio.sleep(pause)

    async def _listen(self) -> None:
        async with self._redis.pubsub() as pubsub:
            await pubsub.subscribe(self.channel)
            self._stopped_by = None
            self.listening.set()
            async for message in pubsub.listen():
                if message["type"] == "message":
                    self._on(message["data"])
                    self._failures = 0
                # Buffered messages come without a pause: let the loop flush sockets (and read
                # theirs) between two, or a burst lands as one lump.
                await asyncio.sleep(0)

    def _on(self, data: bytes) -> None:
        try:
            found = read(data)
        except Unreadable as unreadable:
            self._dropped(unreadable)
            return
        if isinstance(found, Revoke):
            self._revoked(found.workspace_id, found.user_id)
            return
        for room, seq, frame in found:
            self.deliver(room, seq, frame)

    def _dropped(self, unreadable: Unreadable) -> None:
        """A message that cannot be read whole is not trusted in part: with one line missing
        or one too many, a room's frame would go to another room's sessions, who may not see
        it. Its frames were kept in history before it was published, so the sessions of the
        rooms it names (or of the user a revoke names) resume from there and miss nothing;
        when its lines are out of place, any room may have been concerned, and every session
        here resumes, as after a lost connection."""
        if unreadable.anyone:
            told = self._drop_everyone()
        else:
            told = self._drop_concerned(unreadable.rooms, unreadable.users)
        self._metrics.fanout_dropped.labels(unreadable.reason).inc()
        self._unreported += 1
        now = time.monotonic()
        if now < self._next_report:
            return
        log.warning(
            "fan-out message dropped, unreadable (%s): %s; %d session(s) here told to resume; "
            "%d unreadable since the last report",
            unreadable.reason,
            unreadable.detail,
            told,
            self._unreported,
        )
        self._unreported, self._next_report = 0, now + REPORT_SECONDS

    def _revoked(self, workspace_id: UUID, user_id: UUID) -> None:
        for member in list(self._by_user.get(user_id, ())):
            member.revoked(workspace_id)

    def _rooms(self) -> set[str]:
        return self._live.keys() | self._joining.keys()

    def _drop_everyone(self) -> int:
        return self._drop_concerned(self._rooms(), ())

    def _drop_concerned(self, rooms: Iterable[str], users: Iterable[UUID]) -> int:
        """Tell the members of `rooms` and the sessions of `users` to resume; how many."""
        members = {m for room in rooms for m in self._live.get(room, {})}
        members |= {m for room in rooms for m in self._joining.get(room, {})}
        members |= {m for user in users for m in self._by_user.get(user, ())}
        for member in members:
            member.interrupted()
        return len(members)


def _remove(rooms: dict[str, dict[Member, _T]], room: str, member: Member) -> None:
    """Take `member` out of `room`, and the room out of `rooms` once it has no member left (so
    `rooms` holds only rooms someone is in)."""
    members = rooms.get(room)
    if members is not None:
        members.pop(member, None)
        if not members:
            del rooms[room]


def epoch_of(frame: bytes) -> bytes:
    """The epoch a frame was numbered in: the numbering script writes it right after `seq`
    (`{"op":"event","room":...,"seq":N,"epoch":"<hex>",...`), before the event's own JSON."""
    start = frame.find(b'"epoch":"') + 9
    return frame[start : frame.find(b'"', start)]
