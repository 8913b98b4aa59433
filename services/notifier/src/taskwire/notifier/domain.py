"""The feed's rules, without I/O: which rooms an event belongs to (docs/notifier.md,
"Protocol"), and how fast a client may send.

Rooms:

- `project:<id>`: the project's own events, its statuses and its tasks' events, its progress;
- `workspace:<id>`: the workspace, its members, its projects' lifecycle, progress and status;
- `user:<id>`: tasks assigned to the user, and a task reassigned away from them (its last event
  reaches the previous assignee, who would otherwise keep it on their list).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from taskwire.common.events import Envelope

KINDS: Final = ("project", "workspace", "user")
_ROOM: Final = re.compile(r"^(project|workspace|user):([0-9a-fA-F-]{36})$")


@dataclass(frozen=True, slots=True)
class Room:
    kind: str
    id: UUID

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


def parse_room(name: object) -> Room | None:
    """A room from its name, or None when it names no room."""
    if not isinstance(name, str) or (found := _ROOM.match(name)) is None:
        return None
    try:
        return Room(found.group(1), UUID(found.group(2)))
    except ValueError:
        return None


def rooms_of(event: Envelope) -> list[Room]:
    """The rooms an event goes to, each once, in a stable order."""
    rooms: list[Room] = []
    family = event.type.split(".", 1)[0]
    if event.project_id is not None and family in ("task", "status", "project"):
        rooms.append(Room("project", event.project_id))
    if event.workspace_id is not None and family in ("workspace", "member", "project"):
        rooms.append(Room("workspace", event.workspace_id))
    if family == "task":
        rooms.extend(Room("user", user) for user in _assignees(event))
    return list(dict.fromkeys(rooms))


def _assignees(event: Envelope) -> list[UUID]:
    found: list[UUID] = []
    current = event.data.get("assignee_id")
    previous = event.changes.get("assignee_id", [None])[0]
    for value in (current, previous):
        if value:
            try:
                found.append(UUID(str(value)))
            except ValueError:
                continue
    return found


class MessageRate:
    """A token bucket per connection: `per_second` messages a second on average, in bursts of
    up to twice that."""

    def __init__(self, per_second: float) -> None:
        self._rate = per_second
        self._tokens = 2 * per_second
        self._refilled = time.monotonic()

    def take(self) -> bool:
        """Count one message; False when it is one too many."""
        now = time.monotonic()
        self._tokens = min(2 * self._rate, self._tokens + (now - self._refilled) * self._rate)
        self._refilled = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
