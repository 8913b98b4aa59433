"""The board's rules, without I/O: ranks within a column, who may write, and what an import may.

A task's position is a decimal rank. Between two neighbours a move takes a point inside the
gap, so it writes one row and never renumbers the column. The point is drawn at random from the
gap's middle half at a resolution of a millionth of the gap, not its exact middle: two moves racing
into the same gap then land on distinct ranks (about 500,000 candidates; equal ranks could never
again be told apart by a move between them). A rank needs about six digits more than its gap.
"""

from __future__ import annotations

import random
from decimal import ROUND_CEILING, Decimal, localcontext
from typing import Final, Protocol
from uuid import UUID

from taskwire.common.events.projects import Role
from taskwire.common.problems import Forbidden, Unprocessable

# Rungs of the role ladder (taskwire.common.events.projects): who writes tasks, who reads them.
WRITERS: Final = Role.MEMBER.and_above()
READERS: Final = Role.VIEWER.and_above()
TITLE_MAX: Final = 500
DESCRIPTION_MAX: Final = 50_000
# Enough digits for any realistic pile-up; Decimal is exact within it, so a new rank can never
# round onto a neighbour's.
_PRECISION: Final = 1_000
_JITTER_DIGITS: Final = 6


def require_writer(role: Role, doing: str) -> None:
    """A viewer reads tasks; `doing` anything else to them takes a member or above."""
    if role not in WRITERS:
        raise Forbidden(f"a {role.value} reads tasks; {doing} them takes a member or above")


def check_import(count: int, placed: bool, most: int) -> None:
    """An import creates at most `most` tasks, each at the end of its column (none `placed`)."""
    if count > most:
        raise Unprocessable(f"at most {most} tasks per request; split the import", limit=most)
    if placed:
        raise Unprocessable(
            "a bulk create puts each task at the end of its column: drop after/before"
        )


def rank_between(after: Decimal | None, before: Decimal | None, rng: random.Random) -> Decimal:
    """A rank strictly after `after` and strictly before `before` (either may be open)."""
    jitter = Decimal(rng.randrange(10**_JITTER_DIGITS)) / 10**_JITTER_DIGITS
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if after is None and before is None:
            return Decimal(1) + jitter
        if before is None:
            assert after is not None
            return _trim(after + 1 + jitter)
        if after is None:
            return _trim(before - 1 - jitter)
        if after >= before:
            raise ValueError(f"neighbours out of order: {after} is not before {before}")
        gap = before - after
        # A point in the middle half: after + gap * (1/4 + jitter/2), kept to the jitter's
        # resolution relative to the gap (rounding it coarser would make racing moves collide).
        point = after + gap * (Decimal("0.25") + jitter / 2)
        places = max(0, _JITTER_DIGITS - gap.adjusted())
        return _trim(point.quantize(Decimal(1).scaleb(-places)))


def _trim(value: Decimal) -> Decimal:
    normal = value.normalize()
    # normalize() writes 100 as 1E+2; keep ranks in plain notation.
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


class Gap(Protocol):
    """A column around the neighbours asked for: their ranks (None where not asked, or not in
    the column), the rank just below `after` and just above `before` (None at either end)."""

    @property
    def after(self) -> Decimal | None: ...
    @property
    def before(self) -> Decimal | None: ...
    @property
    def below_after(self) -> Decimal | None: ...
    @property
    def above_before(self) -> Decimal | None: ...


def rank_in(gap: Gap, after: UUID | None, before: UUID | None, rng: random.Random) -> Decimal:
    """A rank for a task placed between the neighbours asked for (at least one of them)."""
    if after is not None and gap.after is None:
        raise Unprocessable("after must be another live task of the target column")
    if before is not None and gap.before is None:
        raise Unprocessable("before must be another live task of the target column")
    if gap.after is not None and gap.before is not None:
        if gap.after >= gap.before:
            raise Unprocessable("after must be above before in the column")
        return rank_between(gap.after, gap.before, rng)
    if gap.after is not None:
        return rank_between(gap.after, gap.below_after, rng)
    return rank_between(gap.above_before, gap.before, rng)


def ceiling(rank: Decimal) -> int:
    """The project's end-of-column mark must stay at or past every rank given out."""
    return int(rank.to_integral_value(rounding=ROUND_CEILING))


def format_rank(rank: Decimal) -> str:
    return f"{rank:f}"
