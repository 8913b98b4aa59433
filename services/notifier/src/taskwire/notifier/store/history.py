"""Each room's numbered events in Redis: one atomic step numbers an event, keeps it in the room's
history and publishes it to every notifier process, so live order is sequence order.

Per room: a counter (the last sequence number), an epoch (made anew when Redis has lost the
room's state, so a client's old numbers are never taken for new ones) and a stream whose entry
ids are the sequence numbers, bounded by length; each entry keeps its time, and one older than
the history's age no longer counts as history. An event id is numbered once per room, however
often the broker delivers it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Final

import redis.asyncio as redis

# KEYS: seq, epoch, stream, seen. ARGV: room, event json, max length, age s, new epoch,
# seen ttl s, channel, now ms, trace id (32 hex digits, or empty: none). Returns the sequence
# number, or 0 for an event seen before.
_PUBLISH: Final = """
if not redis.call('SET', KEYS[4], '1', 'NX', 'EX', ARGV[6]) then return 0 end
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[5]
  redis.call('DEL', KEYS[1], KEYS[3])
end
local seq = redis.call('INCR', KEYS[1])
local trace = 'null'
if ARGV[9] ~= '' then trace = '"' .. ARGV[9] .. '"' end
local frame = '{"op":"event","room":"' .. ARGV[1] .. '","seq":' .. seq ..
  ',"epoch":"' .. epoch .. '","trace_id":' .. trace .. ',"event":' .. ARGV[2] .. '}'
redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[3], seq .. '-0', 't', ARGV[8], 'f', frame)
local keep = tonumber(ARGV[4]) * 24
redis.call('SET', KEYS[2], epoch, 'EX', keep)
redis.call('EXPIRE', KEYS[1], keep)
redis.call('EXPIRE', KEYS[3], ARGV[4])
redis.call('PUBLISH', ARGV[7], ARGV[1] .. '\\n' .. seq .. '\\n' .. frame)
return seq
"""

# KEYS: seq, epoch, stream. ARGV: since (-1: none wanted), oldest kept ms, new epoch, epoch ttl
# s. Returns {epoch, seq, complete}: complete is 1 when every event after `since` is in history
# (the stream only ever loses entries from its front, so its first wanted entry tells).
_POSITION: Final = """
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[2], epoch, 'EX', ARGV[4])
  redis.call('DEL', KEYS[1], KEYS[3])
end
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local since = tonumber(ARGV[1])
if since < 0 or since == seq then return {epoch, seq, 1} end
if since > seq then return {epoch, seq, 0} end
local first = redis.call('XRANGE', KEYS[3], (since + 1) .. '-0', '+', 'COUNT', 1)[1]
if not first then return {epoch, seq, 0} end
local id = tonumber(string.match(first[1], '^(%d+)'))
if id ~= since + 1 or tonumber(first[2][2]) < tonumber(ARGV[2]) then return {epoch, seq, 0} end
return {epoch, seq, 1}
"""

# KEYS: stream. ARGV: first seq, last seq, most entries, most bytes (passed by the frame that
# reaches it). Returns the page's frames, or nil when the history no longer holds one of them.
_PAGE: Final = """
local expected = tonumber(ARGV[1])
local frames, size = {}, 0
local entries = redis.call('XRANGE', KEYS[1], ARGV[1] .. '-0', ARGV[2] .. '-0', 'COUNT', ARGV[3])
for _, entry in ipairs(entries) do
  if tonumber(string.match(entry[1], '^(%d+)')) ~= expected then return false end
  frames[#frames + 1] = entry[2][4]
  expected = expected + 1
  size = size + #entry[2][4]
  if size >= tonumber(ARGV[4]) then break end
end
if #frames == 0 then return false end
return frames
"""

# What one resuming session holds of its backlog at a time.
PAGE_ENTRIES: Final = 100
PAGE_BYTES: Final = 65_536


class HistoryLost(Exception):
    """Entries a resume still had to send left the history meanwhile (trimmed, or Redis lost
    the room)."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a room stands, and whether what a client that saw up to `since` missed is kept."""

    epoch: str
    seq: int
    complete: bool  # every event after `since` is in history


class RoomLog:
    def __init__(
        self, client: redis.Redis, prefix: str, *, length: int, seconds: int, channel: str
    ) -> None:
        self._redis = client
        self._prefix = f"{prefix}notifier:room:"
        self._seen = f"{prefix}notifier:seen:"
        self._length = length
        self._seconds = seconds
        self.channel = channel
        self._publish = client.register_script(_PUBLISH)
        self._position = client.register_script(_POSITION)
        self._page = client.register_script(_PAGE)

    def _keys(self, room: str) -> list[str]:
        base = self._prefix + room
        return [f"{base}:seq", f"{base}:epoch", f"{base}:log"]

    async def publish(
        self, room: str, event_id: str, event: bytes, trace_id: str | None = None
    ) -> int:
        """Number the event in the room, keep it, publish it; 0 if it was numbered before.
        The frame names the event's trace (`trace_id`), kept with it for resumes too."""
        keys = [*self._keys(room), f"{self._seen}{room}:{event_id}"]
        args: list[str | bytes | int] = [
            room,
            event,
            self._length,
            self._seconds,
            secrets.token_hex(4),
            self._seconds,
            self.channel,
            int(time.time() * 1000),
            trace_id or "",
        ]
        seq: int = await self._publish(keys=keys, args=args)
        return seq

    async def position(self, room: str, since: int | None) -> Position:
        """The room's epoch and last number; with `since`, whether history holds every event
        after it (a `since` past the last number is a loss, never a match)."""
        oldest = int((time.time() - self._seconds) * 1000)
        epoch, seq, complete = await self._position(
            keys=self._keys(room),
            args=[-1 if since is None else since, oldest, secrets.token_hex(4), self._seconds * 24],
        )
        return Position(
            epoch.decode() if isinstance(epoch, bytes) else str(epoch), int(seq), bool(complete)
        )

    async def pages(self, room: str, since: int, until: int) -> AsyncGenerator[list[bytes], None]:
        """The frames numbered after `since` up to `until`, a page at a time, so a long resume
        never sits in memory whole; HistoryLost when one has left the history meanwhile."""
        stream = self._keys(room)[2]
        expected = since + 1
        while expected <= until:
            frames: list[bytes] | None = await self._page(
                keys=[stream], args=[expected, until, PAGE_ENTRIES, PAGE_BYTES]
            )
            if not frames:
                raise HistoryLost(f"{room}: history no longer holds {expected}")
            yield frames
            expected += len(frames)
