"""Consuming every event: numbered into each of its rooms (once, however often delivered) and
published to every notifier process. A member removed from a workspace is cut off from its
rooms at once, on every process."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Final, Self

from opentelemetry.trace import format_trace_id, get_current_span

from taskwire.common.events import Envelope, encode
from taskwire.common.events.projects import MEMBER_ADDED, MEMBER_REMOVED
from taskwire.notifier.access import Gatekeeper
from taskwire.notifier.domain import rooms_of
from taskwire.notifier.fanout import Hub
from taskwire.notifier.store.history import RoomLog

log = logging.getLogger(__name__)

BINDINGS: Final = ("#",)  # every event: each belongs to some room


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


class Feed:
    def __init__(self, room_log: RoomLog, hub: Hub, gatekeeper: Gatekeeper) -> None:
        self._log = room_log
        self._hub = hub
        self._gatekeeper = gatekeeper

    async def handle(self, _: RedisStep, event: Envelope) -> None:
        body = encode(event)
        trace_id = _current_trace_id()
        workspace = event.workspace_id
        for room in rooms_of(event):
            if (
                room.kind == "user"
                and workspace
                and await self._gatekeeper.has_left(workspace, room.id)
            ):
                continue  # no longer theirs to see, assigned or not
            await self._log.publish(str(room), str(event.id), body, trace_id)
        if event.type == MEMBER_REMOVED and workspace is not None:
            user_id = event.subject.id
            await self._gatekeeper.removed(workspace, user_id)
            await self._hub.revoke(workspace, user_id)
        elif event.type == MEMBER_ADDED and workspace is not None:
            await self._gatekeeper.added(workspace, event.subject.id)


def _current_trace_id() -> str | None:
    """The trace of the event being handled: the consumer's processing span, which continues the
    message's `traceparent`, is current while the handler runs."""
    span = get_current_span().get_span_context()
    return format_trace_id(span.trace_id) if span.is_valid else None
