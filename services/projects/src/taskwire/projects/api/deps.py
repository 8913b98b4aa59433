"""Dependencies the routes share: pages here; the unit of work, a read connection and versions
from taskwire.common.http, which the tasks service shares."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Final, TypeVar
from uuid import UUID

from fastapi import Depends, Query

from taskwire.common.errors import BadRequest
from taskwire.common.http import ConnDep, IfMatch, UowDep, tag

__all__ = ["ConnDep", "IfMatch", "Page", "PageDep", "UowDep", "page", "tag"]

MAX_LIMIT: Final = 200
T = TypeVar("T")


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


async def page(  # async: FastAPI would run a plain `def` dependency in its thread pool
    limit: Annotated[int, Query(ge=1, description=f"page size, at most {MAX_LIMIT}")] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Page:
    return Page(min(limit, MAX_LIMIT), decode_cursor(cursor) if cursor else None)


PageDep = Annotated[Page, Depends(page)]
