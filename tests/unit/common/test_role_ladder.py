"""The role ladder, without I/O: viewer < member < admin < owner, each with the rights below."""

from __future__ import annotations

import pytest

from taskwire.common.events.projects import Role

LADDER = (Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER)


@pytest.mark.parametrize("low", range(len(LADDER)))
@pytest.mark.parametrize("high", range(len(LADDER)))
def test_a_role_may_do_what_every_role_below_it_may(low: int, high: int) -> None:
    assert LADDER[high].at_least(LADDER[low]) is (high >= low)


def test_the_roles_at_or_above_one() -> None:
    assert Role.OWNER.and_above() == {Role.OWNER}
    assert Role.ADMIN.and_above() == {Role.ADMIN, Role.OWNER}
    assert Role.MEMBER.and_above() == {Role.MEMBER, Role.ADMIN, Role.OWNER}
    assert Role.VIEWER.and_above() == set(Role)
