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

# KEYS: seq, epoch, stream. ARGV: since, oldest kept ms, new epoch, epoch ttl s. Returns
# {epoch, seq, complete, frames}: complete is 1 when every event after `since` is in history
# (never for a `since` past `seq`: numbers the room did not give).
_READ: Final = """
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[2], epoch, 'EX', ARGV[4])
  redis.call('DEL', KEYS[1], KEYS[3])
end
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local since = tonumber(ARGV[1])
if since < 0 or since == seq then return {epoch, seq, 1, {}} end
if since > seq then return {epoch, seq, 0, {}} end
local entries = redis.call('XRANGE', KEYS[3], (since + 1) .. '-0', '+')
local frames = {}
local expected = since + 1
for _, entry in ipairs(entries) do
  local id = tonumber(string.match(entry[1], '^(%d+)'))
  local fields = entry[2]
  if id ~= expected or tonumber(fields[2]) < tonumber(ARGV[2]) then
    return {epoch, seq, 0, {}}
  end
  frames[#frames + 1] = fields[4]
  expected = expected + 1
end
if expected ~= seq + 1 then return {epoch, seq, 0, {}} end
return {epoch, seq, 1, frames}
"""


@dataclass(frozen=True, slots=True)
class Backlog:
    """Where a room stands, and what a client that saw up to `since` missed."""

    epoch: str
    seq: int
    complete: bool  # every missed event is in `frames`
    frames: list[bytes]


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
        self._read = client.register_script(_READ)

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

    async def backlog(self, room: str, since: int) -> Backlog:
        """The room's epoch and last number, and the frames after `since` (-1: none wanted)."""
        oldest = int((time.time() - self._seconds) * 1000)
        epoch, seq, complete, frames = await self._read(
            keys=self._keys(room),
            args=[since, oldest, secrets.token_hex(4), self._seconds * 24],
        )
        return Backlog(
            epoch.decode() if isinstance(epoch, bytes) else str(epoch),
            int(seq),
            bool(complete),
            list(frames),
        )
