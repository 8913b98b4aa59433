"""What every service's routes share: the runtime, a transaction or a read connection per request,
and entity versions on the wire (`ETag` out, `If-Match` in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.outbox import EventUnitOfWork
from taskwire.common.runtime import ServiceRuntime

# The If-Match rule is framework-free (a domain may apply it); re-exported for the routes.


def runtime(request: Request) -> ServiceRuntime:
    value: ServiceRuntime = request.app.state.runtime
    return value


async def unit_of_work(request: Request) -> AsyncIterator[EventUnitOfWork]:
    """One transaction per request; it rolls back unless the handler commits."""
    async with runtime(request).database.unit_of_work() as uow:
        yield uow


async def read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with runtime(request).database.engine.connect() as conn:
        yield conn


# "function" scope releases the connection as the handler returns, before the answer is sent.
UowDep = Annotated[EventUnitOfWork, Depends(unit_of_work, scope="function")]
ConnDep = Annotated[AsyncConnection, Depends(read_connection, scope="function")]
IfMatch = Annotated[
    str | None, Header(max_length=200, description='the version you read, as "<version>"')
]


def tag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'
