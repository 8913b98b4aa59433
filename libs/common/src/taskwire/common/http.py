"""What every service's routes share: the runtime, a transaction or a read connection per request,
and entity versions on the wire (`ETag` out, `If-Match` in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.errors import PreconditionFailed
from taskwire.common.outbox import EventUnitOfWork
from taskwire.common.runtime import ServiceRuntime


def runtime(request: Request) -> ServiceRuntime:
    value: ServiceRuntime = request.app.state.runtime
    return value


async def unit_of_work(request: Request) -> AsyncIterator[EventUnitOfWork]:
    """One transaction per request; it rolls back unless the handler commits."""
    async with runtime(request).unit_of_work() as uow:
        yield uow


async def read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with runtime(request).engine.connect() as conn:
        yield conn


# "function" scope releases the connection as the handler returns, before the answer is sent.
UowDep = Annotated[EventUnitOfWork, Depends(unit_of_work, scope="function")]
ConnDep = Annotated[AsyncConnection, Depends(read_connection, scope="function")]
IfMatch = Annotated[
    str | None, Header(max_length=200, description='the version you read, as "<version>"')
]


def tag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


def if_match_allows(if_match: str | None, version: int) -> bool:
    """Whether `If-Match: "<version>"` admits `version` (strong comparison; absent or `*` admit
    any existing entity)."""
    if if_match is None:
        return True
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or f'"{version}"' in tags or str(version) in tags


def check_if_match(if_match: str | None, version: int, what: str) -> None:
    """Honour `If-Match`: a stale version answers 412 with the current one."""
    if not if_match_allows(if_match, version):
        raise PreconditionFailed(
            f"the {what} changed: it is at version {version}, not {if_match}; reload it and retry",
            current_version=version,
        )
