"""The two statements of a change, at the store: what RT1 reads, and what RT2's own guards refuse.

Through the API, RT1's checks answer first (403, 404, 412, 422) and RT2's guards only catch what
changed in between, a race no request can time. Here each guard is put to the statement itself:
a refused write leaves the task, the project's mark and the outbox as they were.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from taskwire.common.events.projects import Category, Role
from taskwire.common.events.tasks import TASK_MOVED, TASK_UPDATED
from taskwire.common.ids import new_id
from taskwire.common.outbox import EventStatements
from taskwire.common.runtime import ServiceRuntime
from taskwire.tasks.events import task_event
from taskwire.tasks.settings import TasksSettings
from taskwire.tasks.store import changes as store
from taskwire.tasks.store.changes import Snapshot, Target
from taskwire.testkit.seed import Seed
from taskwire.testkit.users import Users
from tests.integration.tasks.changing import mark
from tests.integration.tasks.helpers import Api, World, counts
from tests.support.sql import fetch


@pytest.fixture
def statements(runtime: ServiceRuntime) -> EventStatements:
    return runtime.database.statements


async def read(
    statements: EventStatements, task: dict[str, Any], caller: UUID, target: Target | None = None
) -> Snapshot:
    snapshot = await store.read_task(statements.engine, UUID(task["id"]), caller, target)
    assert snapshot is not None
    return snapshot


async def write(
    statements: EventStatements,
    snapshot: Snapshot,
    caller: UUID,
    *,
    version: int | None = None,
    **sets: Any,
) -> bool:
    """RT2 of the change `sets` to the task as `snapshot` read it (a move when it sets a status)."""
    moved = "status_id" in sets
    task = snapshot.task.model_copy(
        update={"title": "Changed", **sets, "version": snapshot.task.version + 1}
        | {"updated_at": datetime.now(UTC)}
    )
    event = task_event(TASK_MOVED if moved else TASK_UPDATED, task, caller)
    return await store.write_change(
        statements,
        snapshot.task.version if version is None else version,
        task,
        event,
        caller=caller,
        assignee=sets.get("assignee_id"),
        status=task.status_id if moved else None,
        mark=sets.pop("mark", None),
    )


async def test_rt1_reads_the_caller_s_live_role_or_none(
    w: World, api: Api, seed: Seed, users: Users, statements: EventStatements
) -> None:
    task = await api.create(w.owner, w.project)
    gone = users("gus")
    await seed.member(w.workspace_id, gone, Role.OWNER, removed=True)

    roles = [(await read(statements, task, u.id)).role for u in (w.member, w.viewer)]
    strangers = [(await read(statements, task, u.id)).role for u in (w.outsider, gone)]

    assert roles == [Role.MEMBER, Role.VIEWER]
    assert strangers == [None, None]


async def test_rt1_finds_no_deleted_task_and_no_task_of_a_deleted_project(
    w: World, api: Api, statements: EventStatements, database_url: str
) -> None:
    task, other = await api.create(w.owner, w.project), await api.create(w.owner, w.project)
    await fetch(database_url, "UPDATE tasks SET deleted = true WHERE id = $1", UUID(task["id"]))

    assert await store.read_task(statements.engine, UUID(task["id"]), w.member.id) is None
    await fetch(database_url, "UPDATE projects SET deleted = true WHERE id = $1", w.project.id)
    assert await store.read_task(statements.engine, UUID(other["id"]), w.member.id) is None


async def test_rt1_reads_the_gap_in_the_target_column_not_the_task_s_own(
    w: World, api: Api, statements: EventStatements, database_url: str
) -> None:
    a, b = await api.create(w.owner, w.project), await api.create(w.owner, w.project)
    done = w.project.done
    d1, d2, d3 = [await api.create(w.owner, w.project, status_id=str(done)) for _ in range(3)]
    await api.create(w.owner, w.project)  # the project's mark past every done rank
    r = {name: Decimal(t["position"]) for name, t in zip("ab123", (a, b, d1, d2, d3), strict=True)}

    async def gap(status: UUID | None, after: Any = None, before: Any = None) -> tuple[Any, ...]:
        """(category, after, before, below_after, above_before) as RT1 reads them."""
        ids = [None if t is None else UUID(t["id"]) for t in (after, before)]
        c = (await read(statements, a, w.member.id, Target(status, *ids))).column
        assert c is not None
        return (c.category, c.after, c.before, c.below_after, c.above_before)

    assert await gap(done, after=d1) == (Category.DONE, r["1"], None, r["2"], None)
    assert await gap(done, before=d3) == (Category.DONE, None, r["3"], None, r["2"])
    assert await gap(done, d1, d3) == (Category.DONE, r["1"], r["3"], r["2"], r["2"])
    assert await gap(done, before=d1) == (Category.DONE, None, r["1"], None, None)
    assert await gap(None, before=b) == (Category.TODO, None, r["b"], None, r["a"])
    # b is a task of the todo column: not a neighbour in the done one.
    assert await gap(done, after=b) == (Category.DONE, None, None, None, None)


async def test_rt1_reads_the_column_s_end_past_its_ranks_and_the_project_s_mark(
    w: World, api: Api, statements: EventStatements, database_url: str
) -> None:
    task = await api.create(w.owner, w.project)
    done = w.project.done
    top = await api.create(w.owner, w.project, status_id=str(done))
    sql = "UPDATE tasks SET position = 10000 WHERE id = $1"
    await fetch(database_url, sql, UUID(top["id"]))

    high = (await read(statements, task, w.member.id, Target(done, None, None))).column
    own = (await read(statements, task, w.member.id, Target(None, None, None))).column

    assert high is not None
    assert own is not None
    assert (high.end, high.mark) == (Decimal(10000), await mark(database_url, w))
    assert (own.end, own.mark) == (Decimal(await mark(database_url, w)), high.mark)


async def test_rt1_reads_no_category_for_a_status_that_is_not_a_live_one_of_the_project(
    w: World, api: Api, seed: Seed, statements: EventStatements, database_url: str
) -> None:
    task = await api.create(w.owner, w.project)
    other = await seed.project(w.workspace_id, "APP")
    gone = w.project.statuses[Category.ISSUE]
    await fetch(database_url, "UPDATE statuses SET deleted = true WHERE id = $1", gone)

    for status in (gone, other.todo, new_id()):
        column = (await read(statements, task, w.member.id, Target(status, None, None))).column
        assert column is not None
        assert column.category is None


async def test_rt1_discards_a_connection_the_server_dropped_after_one_failed_read(
    w: World, api: Api, statements: EventStatements, settings: TasksSettings, database_url: str
) -> None:
    task = await api.create(w.owner, w.project)
    snapshot = await read(statements, task, w.member.id)
    pids = (
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()"
    )
    before = {row["pid"] for row in await fetch(database_url, pids, settings.service_name)}
    await fetch(database_url, "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid", before)

    failed = 0
    for _ in range(3 * (settings.db_pool_size + settings.db_max_overflow)):
        try:
            assert await read(statements, task, w.member.id) == snapshot
        except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError):
            failed += 1

    # At most once per connection dropped: the pool hands out each one in turn, then new ones.
    assert 1 <= failed <= len(before), (failed, len(before))


async def test_rt2_writes_only_at_the_version_read_and_never_twice(
    w: World, api: Api, statements: EventStatements, database_url: str
) -> None:
    snapshot = await read(statements, await api.create(w.owner, w.project), w.member.id)
    before = await counts(database_url)

    stale = await write(statements, snapshot, w.member.id, version=snapshot.task.version + 1)
    assert await counts(database_url) == before
    first = await write(statements, snapshot, w.member.id)
    again = await write(statements, snapshot, w.member.id)

    assert (stale, first, again) == (False, True, False)
    assert await counts(database_url) == before | {"outbox": before["outbox"] + 1}


async def test_rt2_refuses_a_caller_who_is_no_longer_a_live_writer(
    w: World, api: Api, seed: Seed, users: Users, statements: EventStatements, database_url: str
) -> None:
    task = await api.create(w.owner, w.project)
    demoted, removed = users("dan"), users("rae")
    for user in (demoted, removed):
        await seed.member(w.workspace_id, user, Role.MEMBER)
    snapshots = {u.id: await read(statements, task, u.id) for u in (demoted, removed)}
    await seed.member(w.workspace_id, demoted, Role.VIEWER, version=2)
    await seed.member(w.workspace_id, removed, Role.MEMBER, removed=True, version=2)
    before = await counts(database_url)

    for user in (demoted, removed, w.viewer, w.outsider):
        snapshot = snapshots.get(user.id) or await read(statements, task, user.id)
        assert await write(statements, snapshot, user.id) is False
    assert await counts(database_url) == before
    assert await write(statements, snapshots[demoted.id], w.owner.id) is True


async def test_rt2_refuses_an_assignee_who_is_not_a_live_member(
    w: World, api: Api, seed: Seed, users: Users, statements: EventStatements, database_url: str
) -> None:
    snapshot = await read(statements, await api.create(w.owner, w.project), w.member.id)
    gone = users("gus")
    await seed.member(w.workspace_id, gone, Role.MEMBER, removed=True)
    before = await counts(database_url)

    for stranger in (gone, w.outsider):
        assert not await write(statements, snapshot, w.member.id, assignee_id=stranger.id)
    assert await counts(database_url) == before
    assert await write(statements, snapshot, w.member.id, assignee_id=w.viewer.id)


async def test_rt2_moves_only_into_a_live_status_of_the_project_and_raises_the_mark_past_it(
    w: World, api: Api, seed: Seed, statements: EventStatements, database_url: str
) -> None:
    task = await api.create(w.owner, w.project)
    snapshot = await read(statements, task, w.member.id, Target(w.project.done, None, None))
    other = await seed.project(w.workspace_id, "APP")
    gone = w.project.statuses[Category.ISSUE]
    await fetch(database_url, "UPDATE statuses SET deleted = true WHERE id = $1", gone)
    end = await mark(database_url, w)
    before = await counts(database_url)

    for status in (gone, other.todo, new_id()):
        refused = await write(statements, snapshot, w.member.id, status_id=status, mark=end + 50)
        assert refused is False
    assert (await counts(database_url), await mark(database_url, w)) == (before, end)
    assert await write(statements, snapshot, w.member.id, status_id=w.project.done, mark=end - 1)
    assert await mark(database_url, w) == end  # a mark only rises
    snapshot = await read(statements, task, w.member.id, Target(w.project.done, None, None))
    assert await write(statements, snapshot, w.member.id, status_id=w.project.done, mark=end + 7)
    assert await mark(database_url, w) == end + 7
