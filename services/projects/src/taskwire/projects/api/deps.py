"""Dependencies the routes share: the unit of work, a read connection, pages, versions."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Final, TypeVar
from uuid import UUID

from fastapi import Depends, Header, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.errors import BadRequest
from taskwire.common.outbox import EventUnitOfWork
from taskwire.common.runtime import ServiceRuntime

MAX_LIMIT: Final = 200
T = TypeVar("T")


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


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    after: UUID | None

    def split(self, rows: Sequence[T], key: Callable[[T], UUID]) -> tuple[list[T], str | None]:
        """This page's items and the cursor of the next page (rows holds one extra to tell)."""
        items = list(rows[: self.limit])
        more = len(rows) > self.limit
        return items, encode_cursor(key(items[-1])) if more and items else None


def encode_cursor(last: UUID) -> str:
    return base64.urlsafe_b64encode(last.bytes).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> UUID:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        return UUID(bytes=raw)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(
            "cursor is not valid; pass the next_cursor of the previous page unchanged"
        ) from exc


def page(
    limit: Annotated[int, Query(ge=1, description=f"page size, at most {MAX_LIMIT}")] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Page:
    return Page(min(limit, MAX_LIMIT), decode_cursor(cursor) if cursor else None)


PageDep = Annotated[Page, Depends(page)]


def tag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'
