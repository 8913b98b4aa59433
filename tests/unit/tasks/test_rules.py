"""The board's other rules, without I/O: placing a task between neighbours, who may write, and
what an import may create."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from taskwire.common.events.projects import Role
from taskwire.common.problems import Forbidden, Unprocessable
from taskwire.tasks.domain import check_import, rank_in, require_writer

AFTER, BEFORE = uuid4(), uuid4()


@dataclass(frozen=True)
class Gap:
    after: Decimal | None = None
    before: Decimal | None = None
    below_after: Decimal | None = None
    above_before: Decimal | None = None


def test_a_task_placed_between_two_neighbours_lands_between_them() -> None:
    gap = Gap(after=Decimal(1), before=Decimal(2))
    assert Decimal(1) < rank_in(gap, AFTER, BEFORE, random.Random(0)) < Decimal(2)


def test_one_neighbour_places_a_task_next_to_it_on_its_side() -> None:
    rng = random.Random(0)
    below = Gap(after=Decimal(1), below_after=Decimal(2))
    assert Decimal(1) < rank_in(below, AFTER, None, rng) < Decimal(2)
    above = Gap(before=Decimal(5), above_before=Decimal(4))
    assert Decimal(4) < rank_in(above, None, BEFORE, rng) < Decimal(5)
    # At either end of the column there is nothing past the neighbour.
    assert rank_in(Gap(after=Decimal(7)), AFTER, None, rng) > Decimal(7)
    assert rank_in(Gap(before=Decimal(7)), None, BEFORE, rng) < Decimal(7)


@pytest.mark.parametrize(
    ("gap", "after", "before", "detail"),
    [
        (Gap(), AFTER, None, "after must be another live task of the target column"),
        (Gap(after=Decimal(1)), AFTER, BEFORE, "before must be another live task"),
        (Gap(after=Decimal(2), before=Decimal(1)), AFTER, BEFORE, "after must be above before"),
        (Gap(after=Decimal(1), before=Decimal(1)), AFTER, BEFORE, "after must be above before"),
    ],
)
def test_neighbours_outside_the_column_or_out_of_order_are_refused(
    gap: Gap, after: UUID | None, before: UUID | None, detail: str
) -> None:
    with pytest.raises(Unprocessable, match=detail):
        rank_in(gap, after, before, random.Random(0))


@pytest.mark.parametrize("role", [Role.MEMBER, Role.ADMIN, Role.OWNER])
def test_members_and_above_write_tasks(role: Role) -> None:
    require_writer(role, "changing")


def test_a_viewer_only_reads_tasks() -> None:
    with pytest.raises(Forbidden, match="a viewer reads tasks; changing them takes a member"):
        require_writer(Role.VIEWER, "changing")


def test_an_import_creates_at_most_its_limit_each_at_the_end_of_its_column() -> None:
    check_import(500, False, 500)
    with pytest.raises(Unprocessable, match="at most 500 tasks") as too_many:
        check_import(501, False, 500)
    assert too_many.value.extensions == {"limit": 500}
    with pytest.raises(Unprocessable, match="drop after/before"):
        check_import(2, True, 500)
