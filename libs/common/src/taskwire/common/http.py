"""What every service's routes share: the runtime, a transaction or a read connection per request,
entity versions on the wire (`ETag` out, `If-Match` in) and the client's name for a write
(`X-Client-Mutation-Id`, copied into the write's events)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Final

from fastapi import Depends, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.errors import BadRequest
from taskwire.common.outbox import EventUnitOfWork
from taskwire.common.runtime import ServiceRuntime

# The If-Match rule is framework-free (a domain may apply it); re-exported for the routes.


def runtime(request: Request) -> ServiceRuntime:
    value: ServiceRuntime = request.app.state.runtime
    return value


MUTATION_ID_PATTERN: Final = r"^[A-Za-z0-9._:-]{1,64}$"
_MUTATION_ID: Final = re.compile(MUTATION_ID_PATTERN)


async def client_mutation_id(
    value: Annotated[
        str | None,
        Header(
            alias="X-Client-Mutation-Id",
            description="your name for this change (1-64 of A-Z a-z 0-9 . _ : -), carried by "
            "the events it writes as `client_mutation_id`, so that you know them on the feed",
            # Documented, not enforced by the framework: a bad one is a malformed request (400,
            # as a bad cursor is), not an invalid field (422).
            json_schema_extra={
                "anyOf": [{"type": "string", "pattern": MUTATION_ID_PATTERN}, {"type": "null"}]
            },
        ),
    ] = None,
) -> str | None:
    if value is not None and not _MUTATION_ID.fullmatch(value):
        raise BadRequest("X-Client-Mutation-Id must be 1 to 64 of A-Z a-z 0-9 . _ : -")
    return value


ClientMutationId = Annotated[str | None, Depends(client_mutation_id)]


async def unit_of_work(
    request: Request, mutation_id: ClientMutationId
) -> AsyncIterator[EventUnitOfWork]:
    """One transaction per request; it rolls back unless the handler commits. The events it
    records are the request's, so they carry its client mutation id."""
    async with runtime(request).database.unit_of_work(mutation_id) as uow:
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
