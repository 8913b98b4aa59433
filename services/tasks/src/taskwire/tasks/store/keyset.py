"""Where a page starts: the sort key of the previous page's last task, for each order.

A cursor travels to the client and back (base64url JSON): validated strictly, it can only name a
point in the order it was made for, so a forged one answers 400, never an error deeper down.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator


class Order(StrEnum):
    BOARD = "board"
    CREATED = "created"
    NEWEST = "-created"
    UPDATED = "updated"
    RECENT = "-updated"


# The key columns of each order but the board's, and whether they run downwards.
KEYS: dict[Order, tuple[tuple[str, ...], bool]] = {
    Order.CREATED: (("id",), False),  # ids are UUIDv7: creation order
    Order.NEWEST: (("id",), True),
    Order.UPDATED: (("updated_at", "id"), False),
    Order.RECENT: (("updated_at", "id"), True),
}
_NEEDS = {Order.BOARD: {"lane", "status_id", "position"}, Order.UPDATED: {"updated_at"}}
_NEEDS[Order.RECENT] = _NEEDS[Order.UPDATED]


class Cursor(BaseModel):
    """The sort key of the last task of a page: the next page starts after it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order: Order
    id: UUID
    lane: int | None = Field(None, ge=0, le=2**31 - 1, description="status position")
    status_id: UUID | None = None
    position: Decimal | None = Field(None, allow_inf_nan=False, max_digits=2_000)
    updated_at: AwareDatetime | None = None

    @field_validator("updated_at")
    @classmethod
    def _a_utc_time(cls, value: datetime | None) -> datetime | None:
        # An offset can carry a time past the calendar's ends once it is made UTC (year 0 or
        # 10000), which the database driver cannot encode: refused here, not a 500 there.
        if value is not None:
            try:
                value.astimezone(UTC)
            except OverflowError as exc:
                raise ValueError("updated_at is out of range") from exc
        return value

    @model_validator(mode="after")
    def _exactly_its_order_keys(self) -> Self:
        keys = ("lane", "status_id", "position", "updated_at")
        given = {name for name in keys if getattr(self, name) is not None}
        if given != _NEEDS.get(self.order, set()):
            raise ValueError(f"not the keys of a {self.order.value!r} cursor")
        return self
