"""Pages of a list: at most MAX_LIMIT items, and a cursor naming where the next page starts.

A cursor is opaque to the client: the bytes of the position it names (what they hold is each
list's own business) in base64url. Anything but a cursor handed out, unchanged, answers 400.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Final, Generic, TypeVar

from fastapi import Query

from taskwire.common.problems import BadRequest

MAX_LIMIT: Final = 200
DEFAULT_LIMIT: Final = 50
INVALID_CURSOR: Final = "cursor is not valid; pass the next_cursor of the previous page unchanged"

K = TypeVar("K")
T = TypeVar("T")

# A limit above the maximum is capped, not refused, in every list of the system.
Limit = Annotated[int, Query(ge=1, description=f"page size, capped at {MAX_LIMIT}")]
CursorParam = Annotated[
    str | None, Query(max_length=512, description="the next_cursor of the previous page")
]


# Not slotted: a slotted frozen generic dataclass cannot be built as `Page[UUID](...)`.
@dataclass(frozen=True)
class Page(Generic[K]):
    """`?limit=&cursor=` of a list: at most `limit` items, after the position `after` (a list's
    sort key, None for the first page)."""

    limit: int
    after: K | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "limit", min(self.limit, MAX_LIMIT))

    def split(self, rows: Sequence[T], key: Callable[[T], K]) -> tuple[list[T], K | None]:
        """This page's items and the position the next page starts after (None on the last).

        `rows` holds up to one item more than `limit`: that one only tells there is a next page.
        """
        items = list(rows[: self.limit])
        more = len(rows) > self.limit
        return items, key(items[-1]) if more and items else None


def encode_cursor(position: bytes) -> str:
    return base64.urlsafe_b64encode(position).decode()


def decode_cursor(cursor: str, load: Callable[[bytes], K]) -> K:
    """The position `cursor` names, read by `load` (which raises ValueError for bytes that name
    none); 400 for anything else. The padding may be left off."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return load(base64.b64decode(padded, altchars=b"-_", validate=True))
    except ValueError as exc:  # binascii.Error and pydantic's ValidationError are ValueErrors
        raise BadRequest(INVALID_CURSOR) from exc
