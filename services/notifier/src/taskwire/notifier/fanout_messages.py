"""What travels on the fan-out channel, read strictly: a revoke (`!revoke`, workspace id, user
id), or the frames of a batch as the numbering script publishes them (store/history.py): for
each frame, its room, its number and the frame itself (JSON, on one line).

A message that is anything else is `Unreadable`: why, and whom it may have concerned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from uuid import UUID

REVOKE: Final = b"!revoke"
# Why a message was dropped: the label values of the counter, each there from the start.
REASONS: Final = ("room", "truncated", "sequence", "frame", "revoke")
# A room's name as the script writes it (domain.parse_room reads one a client sends).
_ROOM: Final = re.compile(rb"(?:project|workspace|user):[0-9a-fA-F-]{36}")
_SHOWN: Final = 48  # bytes of a wrong room or number a log may show; never a frame's

Frame = tuple[str, int, bytes]


@dataclass(frozen=True, slots=True)
class Revoke:
    workspace_id: UUID
    user_id: UUID


class Unreadable(ValueError):
    """A message this process cannot read. `rooms` and `users`: those it names, whose sessions
    may have needed it; `anyone` when its lines are out of place, so that it may have concerned
    any room."""

    def __init__(
        self,
        reason: str,
        detail: str,
        rooms: frozenset[str] = frozenset(),
        users: frozenset[UUID] = frozenset(),
    ) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.rooms = rooms
        self.users = users
        self.anyone = not rooms and not users


def revoke_message(workspace_id: UUID, user_id: UUID) -> bytes:
    return b"\n".join((REVOKE, str(workspace_id).encode(), str(user_id).encode()))


def read(data: bytes) -> Revoke | list[Frame]:
    """The revoke or the frames `data` holds, all of it or nothing (raises `Unreadable`)."""
    lines = data.split(b"\n")
    if lines[0] == REVOKE:
        return _revoke(lines)
    # Every third line names a room, or the lines have slipped (one missing or one too many)
    # and any of them may be in another's place: then no room it concerned can be told apart.
    for at in range(0, len(lines), 3):
        if _ROOM.fullmatch(lines[at]) is None:
            raise Unreadable("room", f"line {at + 1} names no room: {_show(lines[at])}")
    rooms = frozenset(line.decode() for line in lines[::3])
    if len(lines) % 3:
        raise Unreadable("truncated", f"{len(lines)} lines, not frames of three", rooms)
    frames: list[Frame] = []
    for at in range(0, len(lines), 3):
        number, frame = lines[at + 1], lines[at + 2]
        if not number.isdigit():
            detail = f"line {at + 2} is no sequence number: {_show(number)}"
            raise Unreadable("sequence", detail, rooms)
        if not _is_frame(frame):
            detail = f"line {at + 3} is no JSON object in UTF-8 ({len(frame)} bytes)"
            raise Unreadable("frame", detail, rooms)
        frames.append((lines[at].decode(), int(number), frame))
    return frames


def _revoke(lines: list[bytes]) -> Revoke:
    ids = [_uuid(line) for line in lines[1:]]
    if len(ids) == 2 and ids[0] is not None and ids[1] is not None:
        return Revoke(ids[0], ids[1])
    # The user's sessions are told to resume when its user can be read: joining again asks
    # afresh whether they may.
    named = frozenset(found for found in ids[1:2] if found is not None)
    raise Unreadable("revoke", f"a revoke of {len(lines)} lines, not three ids", users=named)


def _uuid(line: bytes) -> UUID | None:
    try:
        return UUID(line.decode("ascii"))
    except ValueError:  # UnicodeDecodeError is one
        return None


def _is_frame(frame: bytes) -> bool:
    """Sent as a text frame: a client fails the whole connection on one that is not UTF-8."""
    if not (frame.startswith(b"{") and frame.endswith(b"}")):
        return False
    if frame.isascii():
        return True
    try:
        frame.decode()
    except UnicodeDecodeError:
        return False
    return True


def _show(line: bytes) -> str:
    return repr(line[:_SHOWN]) + ("..." if len(line) > _SHOWN else "")
