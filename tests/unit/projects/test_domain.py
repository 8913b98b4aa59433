"""The rules without I/O: roles, owners, slugs, and the board's invariants."""

from __future__ import annotations

import subprocess
import sys
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskwire.common.errors import Conflict, Forbidden, Unprocessable
from taskwire.common.events.projects import Category, Role, StatusState
from taskwire.projects import domain
from taskwire.projects.api.deps import decode_cursor, encode_cursor, page

PROJECT, WORKSPACE = uuid4(), uuid4()


def _board(size: int = 5) -> list[StatusState]:
    return domain.default_statuses(PROJECT, WORKSPACE, [uuid4() for _ in range(5)])[:size]


def _status(name: str = "New") -> StatusState:
    return StatusState(
        id=uuid4(), project_id=PROJECT, workspace_id=WORKSPACE, name=name,
        category=Category.TODO, position=0, version=1,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("role", "minimum", "allowed"),
    [
        (Role.VIEWER, Role.MEMBER, False),
        (Role.MEMBER, Role.ADMIN, False),
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.OWNER, False),
        (Role.OWNER, Role.ADMIN, True),
    ],
)
def test_roles_rank(role: Role, minimum: Role, allowed: bool) -> None:
    if allowed:
        domain.require_role(role, minimum, "this")
    else:
        with pytest.raises(Forbidden):
            domain.require_role(role, minimum, "this")


def test_only_owners_grant_or_take_the_owner_role() -> None:
    domain.check_owner_grant(Role.ADMIN, Role.MEMBER, Role.ADMIN)
    domain.check_owner_grant(Role.OWNER, Role.MEMBER, Role.OWNER)
    domain.check_owner_grant(Role.ADMIN, Role.OWNER, Role.OWNER)  # no change is no grant
    for old, new in ((None, Role.OWNER), (Role.ADMIN, Role.OWNER), (Role.OWNER, None)):
        with pytest.raises(Forbidden):
            domain.check_owner_grant(Role.ADMIN, old, new)


def test_the_last_owner_stays() -> None:
    domain.check_keeps_an_owner(Role.OWNER, Role.ADMIN, owners=2)
    domain.check_keeps_an_owner(Role.ADMIN, None, owners=1)
    for new in (Role.ADMIN, None):
        with pytest.raises(Conflict):
            domain.check_keeps_an_owner(Role.OWNER, new, owners=1)


def test_members_remove_only_themselves() -> None:
    me = uuid4()
    domain.check_removal(Role.VIEWER, me, me)
    with pytest.raises(Forbidden):
        domain.check_removal(Role.MEMBER, me, uuid4())


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Acme Corp", "acme-corp"), ("  Ünïcode -- Café!  ", "unicode-cafe"), ("!!!", "workspace")],
)
def test_slugify(name: str, slug: str) -> None:
    assert domain.slugify(name) == slug


def test_suffixed_slugs_stay_within_the_limit() -> None:
    slug = domain.with_suffix("a" * domain.SLUG_MAX, "abc123")
    assert len(slug) == domain.SLUG_MAX
    assert slug.endswith("-abc123")


def test_the_rules_import_no_framework_and_no_driver() -> None:
    """The domain is rules only: importing it loads no web framework, database or broker."""
    probe = (
        "import sys, taskwire.projects.domain; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:])))"
    )
    banned = ["fastapi", "starlette", "sqlalchemy", "asyncpg", "aio_pika", "aiormq", "redis"]
    found = subprocess.run(
        [sys.executable, "-c", probe, *banned], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"


def test_revise_bumps_once_and_only_on_a_real_change() -> None:
    status = _status()
    same, none = domain.revise(status, {"name": "New"})
    assert (same, none) == (status, {})
    renamed, changes = domain.revise(status, {"name": "Old", "category": Category.TODO})
    assert (renamed.name, renamed.version, changes) == ("Old", 2, {"name": ["New", "Old"]})


def test_removing_needs_another_live_status_and_a_second_status() -> None:
    board = _board()
    with pytest.raises(Unprocessable):
        domain.remove_status(board, board[0].id, board[0].id)
    with pytest.raises(Unprocessable):
        domain.remove_status(board, board[0].id, uuid4())
    with pytest.raises(Conflict):
        domain.remove_status(board[:1], board[0].id, board[0].id)


def test_a_board_has_a_size_limit() -> None:
    board = [_status(str(i)).model_copy(update={"position": i}) for i in range(domain.MAX_STATUSES)]
    with pytest.raises(Conflict):
        domain.add_status(board, _status(), None)


async def test_pages_cap_the_limit_and_cursors_round_trip() -> None:
    assert (await page(limit=10_000)).limit == 200
    last = uuid4()
    assert (await page(cursor=encode_cursor(last))).after == last
    assert decode_cursor(encode_cursor(UUID(int=0))) == UUID(int=0)


operations = st.lists(
    st.tuples(
        st.sampled_from(["add", "edit", "remove"]),
        st.integers(0, 12),
        st.integers(0, 12),
        st.booleans(),
    ),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(operations)
def test_any_sequence_keeps_positions_contiguous_and_versions_rising(
    ops: list[tuple[str, int, int, bool]],
) -> None:
    board = _board()
    versions = {s.id: s.version for s in board}
    for op, i, j, rename in ops:
        if op == "add":
            changed = domain.add_status(board, _status(), j)
        elif op == "edit":
            target = board[i % len(board)]
            updates = {"name": f"n{j}"} if rename else {}
            changed = domain.edit_status(board, target.id, updates, j)
        elif len(board) > 1:
            target, other = board[i % len(board)], board[(i + 1) % len(board)]
            deleted, changed = domain.remove_status(board, target.id, other.id)
            assert deleted.version == versions.pop(target.id) + 1
            board = [s for s in board if s.id != target.id]
        else:
            continue
        updated = {s.id: s for s in changed}
        board = sorted((updated.get(s.id, s) for s in board), key=lambda s: s.position)
        board += [s for s in changed if s.id not in {b.id for b in board}]
        board.sort(key=lambda s: s.position)
        assert [s.position for s in board] == list(range(len(board)))
        for status in changed:
            assert status.version == versions.get(status.id, 0) + 1, "one version per change"
            versions[status.id] = status.version
