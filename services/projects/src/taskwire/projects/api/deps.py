"""What the routes share besides taskwire.common.http: pages of a list by id.

A page's position is the id of its last item; its cursor carries the id's 16 bytes.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends

from taskwire.common import paging
from taskwire.common.paging import DEFAULT_LIMIT, CursorParam, Limit, Page


def encode_cursor(last: UUID) -> str:
    return paging.encode_cursor(last.bytes)


def decode_cursor(cursor: str) -> UUID:
    return paging.decode_cursor(cursor, lambda raw: UUID(bytes=raw))


def next_cursor(after: UUID | None) -> str | None:
    """The cursor of the next page, or None after the last page."""
    return None if after is None else encode_cursor(after)


async def page(  # async: FastAPI would run a plain `def` dependency in its thread pool
    limit: Limit = DEFAULT_LIMIT, cursor: CursorParam = None
) -> Page[UUID]:
    return Page(limit, decode_cursor(cursor) if cursor else None)


PageDep = Annotated[Page[UUID], Depends(page)]
