"""The rank rules, without I/O: always strictly inside the gap, distinct under races, short."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskwire.tasks.domain import ceiling, format_rank, rank_between

ranks = st.decimals(min_value=-(10**6), max_value=10**6, places=6, allow_nan=False)


@given(ranks, ranks, st.integers(0, 2**32))
def test_a_rank_between_two_neighbours_is_strictly_inside(
    a: Decimal, b: Decimal, seed: int
) -> None:
    if a == b:
        return
    low, high = min(a, b), max(a, b)
    assert low < rank_between(low, high, random.Random(seed)) < high


@given(ranks, st.integers(0, 2**32))
def test_open_ends_go_past_the_neighbour(a: Decimal, seed: int) -> None:
    rng = random.Random(seed)
    assert rank_between(a, None, rng) > a
    assert rank_between(None, a, rng) < a


def test_moves_racing_into_one_gap_land_on_distinct_ranks() -> None:
    rng = random.Random(7)
    for low, high in ((Decimal(1), Decimal(2)), (Decimal("1.25"), Decimal("1.2501"))):
        drawn = {rank_between(low, high, rng) for _ in range(20)}
        assert len(drawn) == 20


def test_repeated_moves_into_one_spot_grow_the_rank_slowly() -> None:
    rng = random.Random(1)
    low, high = Decimal(1), Decimal(2)
    for _ in range(200):
        high = rank_between(low, high, rng)
        assert low < high
    digits = len(format_rank(high).replace(".", "").lstrip("0"))
    assert digits < 200  # about one digit per two moves into the very same spot, plus six


@pytest.mark.parametrize(
    ("rank", "expected"), [(Decimal("3"), 3), (Decimal("3.0001"), 4), (Decimal("-1.5"), -1)]
)
def test_the_end_of_column_mark_covers_every_rank(rank: Decimal, expected: int) -> None:
    assert ceiling(rank) == expected


def test_ranks_are_written_plainly() -> None:
    assert format_rank(rank_between(Decimal(99), Decimal(101), random.Random(0))).count("E") == 0
    assert format_rank(Decimal("1E+2")) == "100"
