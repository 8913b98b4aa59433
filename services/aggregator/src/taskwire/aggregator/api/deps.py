"""What the routes share: the parts create_app builds once, as named dependencies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from taskwire.aggregator.access import ProjectReaders
from taskwire.aggregator.counts_cache import CountsCache
from taskwire.aggregator.tasks_snapshot import TaskSnapshot
from taskwire.aggregator.use_cases.counting import Counter
from taskwire.common.database import Database
from taskwire.common.http import runtime


def _state(name: str) -> Callable[[Request], Awaitable[Any]]:
    async def part(request: Request) -> Any:  # async: a plain `def` would use the thread pool
        return getattr(request.app.state, name)

    return part


async def _database(request: Request) -> Database:
    return runtime(request).database


CacheDep = Annotated[CountsCache, Depends(_state("counts_cache"))]
ReadersDep = Annotated[ProjectReaders, Depends(_state("readers"))]
CounterDep = Annotated[Counter, Depends(_state("counter"))]
SnapshotDep = Annotated[TaskSnapshot, Depends(_state("snapshot"))]
DatabaseDep = Annotated[Database, Depends(_database)]
