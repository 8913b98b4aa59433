"""Long-running coroutines a test starts (relays, servers) and stops, surfacing their crashes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


class Background:
    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[Any]] = []

    def start(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.append(task)
        return task

    async def stop(self, task: asyncio.Task[Any]) -> None:
        """Cancel one task; re-raise anything it died of other than the cancellation."""
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        errors: list[BaseException] = []
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception as exc:
                errors.append(exc)
        self._tasks.clear()
        if errors:
            raise errors[0]
