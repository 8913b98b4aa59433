"""What a session joining a room has to catch up on (the missed events it resumes from history,
then the room's frames that came meanwhile), written at the pace its client takes them.

Frames go out without waiting while the client's unsent bytes stay under half the send queue
(the other half is room for its live rooms' frames); past that, each waits for the client to
take what it has. A client that takes nothing for as long as a ping may go unanswered is too
slow, as one that falls a whole send queue behind on live frames is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from websockets.asyncio.server import ServerConnection, broadcast

from taskwire.notifier.fanout import unsent


class CatchUp:
    def __init__(self, send_queue_bytes: int, stall_seconds: float) -> None:
        self._ceiling = send_queue_bytes // 2
        self._stall = stall_seconds

    async def send(self, connection: ServerConnection, frames: Sequence[bytes]) -> int:
        """Write `frames` in order; how many went, fewer than all when the client stalled."""
        for sent, frame in enumerate(frames):
            if unsent(connection) <= self._ceiling:
                broadcast([connection], frame, text=True)  # written at once, never waits
                continue
            try:
                # Writes the frame, then waits until the client has taken nearly everything.
                await asyncio.wait_for(connection.send(frame, text=True), self._stall)
            except TimeoutError:
                return sent
        return len(frames)
