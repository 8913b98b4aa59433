"""The board's rules, without I/O: ranks within a column, roles, and what a change touches.

A task's position is a decimal rank. Between two neighbours a move takes a point inside the
gap, so it writes one row and never renumbers the column. The point is drawn at random from the
gap's middle half, not its exact middle: two moves racing into the same gap then land on
distinct ranks (equal ranks could never again be told apart by a move between them), while the
digits grow by about one every three moves into the same spot.
"""

from __future__ import annotations

import random
from decimal import ROUND_CEILING, Decimal, localcontext
from typing import Final

from taskwire.common.events.projects import Role

WRITERS: Final = frozenset({Role.OWNER, Role.ADMIN, Role.MEMBER})
READERS: Final = frozenset(Role)
TITLE_MAX: Final = 500
DESCRIPTION_MAX: Final = 50_000
# Enough digits for any realistic pile-up; Decimal is exact within it, so a new rank can never
# round onto a neighbour's.
_PRECISION: Final = 1_000
_JITTER_DIGITS: Final = 4


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
        # A point in the middle half: after + gap * (1/4 + jitter/2).
        point = after + gap * (Decimal("0.25") + jitter / 2)
        return _shortest_inside(after, before, point)


def _shortest_inside(low: Decimal, high: Decimal, point: Decimal) -> Decimal:
    """`point` rounded to the fewest decimals that keep it strictly between low and high."""
    places = 0
    while True:
        candidate = point.quantize(Decimal(1).scaleb(-places))
        if low < candidate < high:
            return _trim(candidate)
        places += 1


def _trim(value: Decimal) -> Decimal:
    normal = value.normalize()
    # normalize() writes 100 as 1E+2; keep ranks in plain notation.
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def ceiling(rank: Decimal) -> int:
    """The project's end-of-column mark must stay at or past every rank given out."""
    return int(rank.to_integral_value(rounding=ROUND_CEILING))


def format_rank(rank: Decimal) -> str:
    return f"{rank:f}"
