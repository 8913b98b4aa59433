"""Writes named by `X-Client-Mutation-Id`, and the events each one recorded, as a browser that
looks for its own changes on the feed would see them."""

from __future__ import annotations

from typing import Any, Final

import httpx

from taskwire.testkit.users import User
from tests.support.bus import Bus

HEADER: Final = "X-Client-Mutation-Id"
Written = list[tuple[str, str | None]]  # each event's type and client mutation id


class Writer:
    """Writes under /api/v1 as `user`, each named (or not: None)."""

    def __init__(self, client: httpx.AsyncClient, bus: Bus, user: User) -> None:
        self.client, self.bus, self.user = client, bus, user

    async def send(
        self, mutation_id: str | bytes | None, method: str, url: str, body: Any = None
    ) -> httpx.Response:
        headers = [(name.encode(), value.encode()) for name, value in self.user.auth.items()]
        if mutation_id is not None:
            # Bytes as sent: a browser's non-ASCII name arrives as its UTF-8.
            named = mutation_id if isinstance(mutation_id, bytes) else mutation_id.encode()
            headers.append((HEADER.encode(), named))
        return await self.client.request(method, f"/api/v1{url}", json=body, headers=headers)

    async def write(
        self, mutation_id: str | None, method: str, url: str, body: Any = None
    ) -> tuple[Any, Written]:
        """The answer of a write that must succeed, and the events it recorded."""
        response = await self.send(mutation_id, method, url, body)
        assert response.is_success, response.text
        return (response.json() if response.content else None), await self.written()

    async def written(self) -> Written:
        """The events recorded since the last look."""
        start = len(self.bus.log)
        await self.bus.drain()
        return [(e.type, e.client_mutation_id) for e in self.bus.log[start:]]
