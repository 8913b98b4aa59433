"""Page 1000 costs what page 1 does: on a 50,000-task board, every page is an index walk.

Asserted on the plan, not on a clock: the board query walks `tasks_board` from the cursor in each
lane, and sorts nothing but the rows those bounded walks return.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import create_async_engine

from taskwire.tasks.api.deps import encode_cursor
from taskwire.tasks.replica.directory import Directory
from taskwire.tasks.store.filters import Filters
from taskwire.tasks.store.keyset import Cursor, Order
from taskwire.tasks.store.lists import board_query, sorted_query
from tests.integration.tasks.helpers import Api, World
from tests.support.sql import fetch

TASKS = 50_000
LANES = 5
PAGE = 50


async def fill(database_url: str, w: World) -> None:
    """50,000 tasks, 10,000 per column, in one statement."""
    statuses = list(w.project.statuses.values())
    await fetch(
        database_url,
        """
        INSERT INTO tasks (id, project_id, workspace_id, number, title, status_id, category,
                           position, priority, reporter_id, version, created_at, updated_at)
        SELECT gen_random_uuid(), $1, $2, g, 'task ' || g, s.id, s.category, g, 'none', $3, 1,
               now(), now()
        FROM generate_series(1, $4) g
        JOIN statuses s ON s.project_id = $1 AND s.position = g % 5
        """,
        w.project.id,
        w.workspace_id,
        w.owner.id,
        TASKS,
    )
    await fetch(
        database_url,
        "UPDATE projects SET last_number = $2::int, last_position = $2::int WHERE id = $1",
        w.project.id,
        TASKS,
    )
    await fetch(database_url, "ANALYZE tasks")
    assert len(statuses) == LANES


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in nodes(child))]


def unbounded_scans(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Scans of `tasks` under `plan` that no Limit bounds."""
    if plan["Node Type"] == "Limit":
        return []
    own = [plan] if plan.get("Relation Name") == "tasks" else []
    return own + [s for child in plan.get("Plans", []) for s in unbounded_scans(child)]


async def explain(
    database_url: str, query: Select[Any], params: dict[str, Any] | None = None
) -> dict[str, Any]:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    bound = query.params(params) if params else query
    sql = bound.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(text(f"EXPLAIN (FORMAT JSON) {sql}"))
    finally:
        await engine.dispose()
    plan: dict[str, Any] = (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]
    return plan


def assert_index_walk(plan: dict[str, Any], index: str) -> None:
    scans = [n for n in nodes(plan) if n.get("Relation Name") == "tasks"]
    assert scans, plan
    assert {n["Node Type"] for n in scans} <= {"Index Scan", "Index Only Scan"}, scans
    assert {n["Index Name"] for n in scans} == {index}, scans
    for sort in (n for n in nodes(plan) if n["Node Type"] in ("Sort", "Incremental Sort")):
        assert unbounded_scans(sort) == [], f"a sort over the table: {sort}"


async def test_board_pages_deep_in_a_large_project_walk_the_board_index(
    api: Api, w: World, database_url: str, app: Any
) -> None:
    await fill(database_url, w)
    directory: Directory = app.state.directory
    project = await directory.project(w.project.id)
    assert project is not None
    lanes = project.statuses
    filters = Filters()
    # Deep: the fourth column, 6,000 tasks into it (task 30,003, at rank 30,003 in this fill).
    (mark,) = await fetch(database_url, "SELECT id FROM tasks WHERE number = 30003")
    deep = Cursor(
        order=Order.BOARD,
        id=mark[0],
        lane=lanes[3].position,
        status_id=lanes[3].id,
        position=Decimal(30_003),
    )

    first = await explain(database_url, *board_query(project.id, lanes, filters, None, PAGE))
    later = await explain(
        database_url, *board_query(project.id, filters.lanes(lanes, deep), filters, deep, PAGE)
    )

    assert_index_walk(first, "tasks_board")
    assert_index_walk(later, "tasks_board")
    page = await api.page(w.viewer, w.tasks_url, limit=PAGE, cursor=encode_cursor(deep))
    assert [t["number"] for t in page["items"][:3]] == [30_003 + 5, 30_003 + 10, 30_003 + 15]
    assert page["items"][0]["status_id"] == str(lanes[3].id)


async def test_pages_by_time_walk_their_indexes(w: World, database_url: str) -> None:
    await fill(database_url, w)
    rows = await fetch(database_url, "SELECT id, updated_at FROM tasks WHERE number = 40000")
    middle = {"id": rows[0][0], "updated_at": rows[0][1]}
    for order, index in (
        (Order.CREATED, "tasks_created"),
        (Order.NEWEST, "tasks_created"),
        (Order.UPDATED, "tasks_updated"),
        (Order.RECENT, "tasks_updated"),
    ):
        keys = {"updated_at": middle["updated_at"]} if "updated" in order.value else {}
        deep = Cursor(order=order, id=middle["id"], **keys)
        for after in (None, deep):
            query = sorted_query(w.project.id, order, Filters(), after, PAGE)
            assert_index_walk(await explain(database_url, query), index)
