"""Each room's numbered events in Redis: one atomic step numbers a batch of events, keeps each in
its rooms' history and publishes them to every notifier process, so live order is sequence order.

Per room: a counter (the last sequence number), an epoch (made anew when Redis has lost the
room's state, so a client's old numbers are never taken for new ones) and a stream whose entry
ids are the sequence numbers, bounded by length; each entry keeps its time, and one older than
the history's age no longer counts as history. An event id is numbered once per room, however
often the broker delivers it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Final

import redis.asyncio as redis

# A room's epoch and last number, as a script reads them before numbering or answering for the
# room. Numbers never run back within an epoch: a counter gone or unreadable is taken from the
# last id the history gave (trimmed or deleted entries included). Where neither tells (or the
# epoch itself is gone or unreadable), Redis has lost the room: it starts anew, a new epoch with
# no counter and no history, so that a client resuming is told that what it missed is gone. A
# room starts with its counter at 0.
_ROOM: Final = """
local function last_number(stream)
  local info = redis.pcall('XINFO', 'STREAM', stream)
  if info.err then return nil end
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then return tonumber(string.match(info[i + 1], '^(%d+)')) end
  end
end

local function room_state(seq_key, epoch_key, stream, new_epoch)
  local epoch, counter = redis.pcall('GET', epoch_key), redis.pcall('GET', seq_key)
  counter = type(counter) == 'string' and tonumber(counter)
  if type(epoch) == 'string' then
    if counter then return epoch, counter end
    local last = last_number(stream)
    if last then return epoch, last end
  end
  redis.call('DEL', seq_key, stream)
  return new_epoch, 0
end
"""

# Numbers a batch of events in their rooms, in order, and publishes their frames at once.
# KEYS: seq, epoch, stream, seen for each (event, room), in order. ARGV: max length, age s, new
# epoch, seen ttl s, channel, now ms; then per event: its json, its trace id (32 hex digits, or
# empty: none), how many rooms, and the rooms. Returns a number per (event, room): 0 for one
# seen before.
# The batch is all or nothing. Redis refuses a script that does not declare `allow-oom` (the
# shebang) before it runs when it is out of memory, and one that does not declare `no-writes`
# on a replica (READONLY), while loading, without its replicas (NOREPLICAS) or with writes
# stopped (MISCONF); once running, no write in it is refused for memory. And nothing in it can
# fail half-way: reads that a key of another type would refuse are `pcall`ed, and where the
# history refuses an XADD, numbers go on from its last one (a history ahead of its counter), or
# it starts again (no stream). So an error from this script never leaves a counter moved without
# its entry, nor an event marked seen but never kept: the batch may be tried again as it is
# until Redis takes it. The shebang needs Redis 7.
_PUBLISH: Final = (
    "#!lua\n"
    + _ROOM
    + """
local length, age, new_epoch, seen_ttl, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[6]
local keep = tonumber(age) * 24
local function frame(room, seq, epoch, trace, event)
  return '{"op":"event","room":"' .. room .. '","seq":' .. seq .. ',"epoch":"' .. epoch ..
    '","trace_id":' .. trace .. ',"event":' .. event .. '}'
end
local frames, numbers = {}, {}
local a, k = 7, 0
while a <= #ARGV do
  local event, trace, rooms = ARGV[a], 'null', tonumber(ARGV[a + 2])
  if ARGV[a + 1] ~= '' then trace = '"' .. ARGV[a + 1] .. '"' end
  a = a + 3
  for _ = 1, rooms do
    local room, seq_key, epoch_key, stream, seen = ARGV[a], KEYS[k + 1], KEYS[k + 2],
      KEYS[k + 3], KEYS[k + 4]
    a, k = a + 1, k + 4
    local seq = 0
    if redis.call('EXISTS', seen) == 0 then
      local epoch, counter = room_state(seq_key, epoch_key, stream, new_epoch)
      seq = counter + 1
      local kept = frame(room, seq, epoch, trace, event)
      local added = redis.pcall('XADD', stream, 'MAXLEN', length, seq .. '-0', 't', now, 'f', kept)
      if type(added) == 'table' and added.err then
        -- The history is ahead of its counter: numbers go on from its last. Or it is no stream:
        -- it starts again at this number (a resume from before is told what it missed is gone).
        local last = last_number(stream)
        if last then
          seq = math.max(seq, last + 1)
          kept = frame(room, seq, epoch, trace, event)
        else
          redis.call('DEL', stream)
        end
        redis.call('XADD', stream, 'MAXLEN', length, seq .. '-0', 't', now, 'f', kept)
      end
      redis.call('SET', seq_key, seq, 'EX', keep)
      redis.call('SET', epoch_key, epoch, 'EX', keep)
      redis.call('EXPIRE', stream, age)
      redis.call('SET', seen, '1', 'EX', seen_ttl)
      frames[#frames + 1] = room .. '\\n' .. seq .. '\\n' .. kept
    end
    numbers[#numbers + 1] = seq
  end
end
if #frames > 0 then redis.call('PUBLISH', ARGV[5], table.concat(frames, '\\n')) end
return numbers
"""
)

# KEYS: seq, epoch, stream. ARGV: since (-1: none wanted), oldest kept ms, new epoch, epoch ttl
# s. Returns {epoch, seq, complete}: complete is 1 when every event after `since` is in history
# (the stream only ever loses entries from its front, so its first wanted entry tells). No
# shebang: a whole room's position is read even where Redis takes no writes; its writes (a
# room started anew) are refused, if at all, before the first has changed anything.
_POSITION: Final = (
    _ROOM
    + """
local epoch, seq = room_state(KEYS[1], KEYS[2], KEYS[3], ARGV[3])
if epoch == ARGV[3] then
  redis.call('SET', KEYS[2], epoch, 'EX', ARGV[4])
  redis.call('SET', KEYS[1], 0, 'EX', ARGV[4])
end
local since = tonumber(ARGV[1])
if since < 0 or since == seq then return {epoch, seq, 1} end
if since > seq then return {epoch, seq, 0} end
local first = redis.pcall('XRANGE', KEYS[3], (since + 1) .. '-0', '+', 'COUNT', 1)[1]
if not first then return {epoch, seq, 0} end
local id = tonumber(string.match(first[1], '^(%d+)'))
if id ~= since + 1 or tonumber(first[2][2]) < tonumber(ARGV[2]) then return {epoch, seq, 0} end
return {epoch, seq, 1}
"""
)

# KEYS: stream. ARGV: first seq, last seq, most entries, most bytes (passed by the frame that
# reaches it). Returns the page's frames, or nil when the history no longer holds one of them.
# It writes nothing: a replica or a Redis out of memory still answers it.
_PAGE: Final = """#!lua flags=no-writes
local expected = tonumber(ARGV[1])
local frames, size = {}, 0
local entries = redis.pcall('XRANGE', KEYS[1], ARGV[1] .. '-0', ARGV[2] .. '-0', 'COUNT', ARGV[3])
if entries.err then return false end
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
class Numbering:
    """An event to number in its rooms: its id (numbered once per room), its json (the frames'
    `event`) and the trace of the message that brought it."""

    event_id: str
    body: bytes
    trace_id: str | None
    rooms: list[str]


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

    async def publish(self, events: Sequence[Numbering]) -> list[int]:
        """Number each event in its rooms, in order, keep them and publish their frames (one
        message for all): one round trip for the lot. A number per (event, room), in order; 0
        where the event was numbered before. Each frame names its event's trace, kept with it
        for resumes too."""
        keys: list[str] = []
        args: list[str | bytes | int] = [
            self._length,
            self._seconds,
            secrets.token_hex(4),
            self._seconds,
            self.channel,
            int(time.time() * 1000),
        ]
        for event in events:
            if not event.rooms:
                continue
            args += (event.body, event.trace_id or "", len(event.rooms), *event.rooms)
            for room in event.rooms:
                keys += (*self._keys(room), f"{self._seen}{room}:{event.event_id}")
        if not keys:
            return []
        numbers: list[int] = await self._publish(keys=keys, args=args)
        return numbers

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
