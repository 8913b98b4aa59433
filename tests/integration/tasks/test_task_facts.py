"""The task facts the aggregator recounts from: every task once, by id, deleted ones included,
for the internal token only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from taskwire.common.ids import new_id
from taskwire.common.runtime import ServiceRuntime
from taskwire.tasks.migrate import MIGRATIONS
from taskwire.tasks.settings import TasksSettings
from taskwire.tasks.store.facts import facts_query
from taskwire.tasks.tables import metadata
from taskwire.testkit.seed import Seed
from tests.integration.tasks.changing import Changes
from tests.integration.tasks.helpers import Api, World
from tests.integration.tasks.test_list_plan import assert_index_walk, explain, fill
from tests.support.problems import assert_problem

FACTS = "/internal/v1/task-facts"
LOOKUP = f"{FACTS}/lookup"
FIELDS = ["id", "project_id", "category", "archived", "deleted", "version"]
Facts = dict[str, list[Any]]  # each task's expected item, by id
Auth = dict[str, str]


@pytest.fixture(autouse=True)
async def _connected(runtime: ServiceRuntime) -> None:
    """A test quicker than the app's start-up stops it in mid-connect, which leaves aio-pika
    callbacks behind for the closed loop (unraisable-exception warnings in a later test)."""
    await runtime.broker.wait_connected(10)


@pytest.fixture
def internal(settings: TasksSettings) -> Auth:
    return {"Authorization": f"Bearer {settings.internal_token.get_secret_value()}"}


async def page(client: httpx.AsyncClient, auth: Auth, **params: Any) -> dict[str, Any]:
    query = {k: str(v) for k, v in params.items() if v is not None}
    response = await client.get(FACTS, params=query, headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    found: dict[str, Any] = response.json()
    assert found["fields"] == FIELDS
    return found


async def walk(
    client: httpx.AsyncClient, auth: Auth, **params: Any
) -> tuple[list[list[Any]], list[str | None]]:
    """Every item, following next_after to the end; and each page's next_after."""
    items: list[list[Any]] = []
    marks: list[str | None] = []
    after = None
    while True:
        found = await page(client, auth, **params, after=after)
        items += found["items"]
        after = found["next_after"]
        marks.append(after)
        if after is None:
            return items, marks
        assert after == found["items"][-1][0]


def by_id(facts: Facts) -> list[list[Any]]:
    return [facts[key] for key in sorted(facts, key=UUID)]


def fact(task: dict[str, Any]) -> list[Any]:
    """The item of a task the API answered (so not deleted)."""
    archived = task["archived_at"] is not None
    return [task["id"], task["project_id"], task["category"], archived, False, task["version"]]


@pytest.fixture
async def facts(w: World, api: Api, changes: Changes, seed: Seed) -> Facts:
    """Seven tasks in two projects: live, archived, deleted, one moved to done; facts by id."""
    made = await api.create_many(w.owner, w.project, [{"title": f"t{i}"} for i in range(5)])
    other = await seed.project(w.workspace_id, "API")
    made += await api.create_many(w.owner, other, [{"title": "o1"}, {"title": "o2"}])
    archived = await changes.ok(w.member, "archive", made[1]["id"])
    moved = await changes.move(w.member, made[2]["id"], status_id=str(w.project.done))
    deleted = await changes.send(w.member, "delete", made[3]["id"])
    assert deleted.status_code == 204, deleted.text
    found = {t["id"]: fact(t) for t in [*made, archived, moved]}  # the last answer of each
    found[made[3]["id"]][4:] = [True, 2]  # the delete's tombstone, at the next version
    return found


async def test_the_walk_answers_every_task_once_by_id_with_its_facts(
    facts: Facts, client: httpx.AsyncClient, internal: Auth
) -> None:
    items, marks = await walk(client, internal, limit=2)
    whole, whole_marks = await walk(client, internal)
    exact, exact_marks = await walk(client, internal, limit=7)

    assert items == whole == exact == by_id(facts)
    kinds = {tuple(f[2:5]) for f in items}  # (category, archived, deleted)
    assert {("todo", True, False), ("done", False, False), ("todo", False, True)} <= kinds
    assert marks == [items[1][0], items[3][0], items[5][0], None]
    assert whole_marks == [None]
    # A page as long as the limit cannot know it is the last: one more, empty, says so.
    assert exact_marks == [items[-1][0], None]


async def test_the_project_filter_walks_that_project_s_tasks_only(
    w: World, facts: Facts, client: httpx.AsyncClient, internal: Auth
) -> None:
    (other,) = {fact[1] for fact in facts.values()} - {str(w.project.id)}

    mine, _ = await walk(client, internal, project_id=w.project.id, limit=2)
    theirs, _ = await walk(client, internal, project_id=other, limit=1)
    nobody = await page(client, internal, project_id=new_id())

    assert len(mine) == 5
    assert mine == [fact for fact in by_id(facts) if fact[1] == str(w.project.id)]
    assert theirs == [fact for fact in by_id(facts) if fact[1] == other]
    assert (nobody["items"], nobody["next_after"]) == ([], None)


async def test_a_lookup_answers_the_facts_of_the_ids_that_exist_by_id(
    facts: Facts, client: httpx.AsyncClient, internal: Auth
) -> None:
    deleted = next(key for key, fact in facts.items() if fact[4])
    archived = next(key for key, fact in facts.items() if fact[3])
    asked = [str(new_id()), archived, deleted, str(new_id()), archived]

    response = await client.post(LOOKUP, json={"ids": asked}, headers=internal)
    unknown = await client.post(LOOKUP, json={"ids": [str(new_id())]}, headers=internal)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    expected = by_id({key: facts[key] for key in (archived, deleted)})
    assert response.json() == {"fields": FIELDS, "items": expected, "next_after": None}
    assert unknown.json() == {"fields": FIELDS, "items": [], "next_after": None}


async def test_only_the_internal_token_opens_the_facts(w: World, client: httpx.AsyncClient) -> None:
    wrong = "Bearer not-the-internal-token-but-just-as-long-0123"
    for value in (None, wrong, "Basic abc", w.owner.auth["Authorization"]):  # a user's own JWT
        headers = {} if value is None else {"Authorization": value}
        walked = await client.get(FACTS, headers=headers)
        looked_up = await client.post(LOOKUP, json={"ids": [str(new_id())]}, headers=headers)
        assert_problem(walked, 401, "unauthenticated")
        assert_problem(looked_up, 401, "unauthenticated")


async def test_bad_input_answers_422(client: httpx.AsyncClient, internal: Auth) -> None:
    queries = [{"limit": "0"}, {"limit": "-1"}, {"limit": "many"}]
    queries += [{"after": "not-a-uuid"}, {"project_id": "42"}]
    bodies: list[Any] = [{"ids": [str(new_id())], "more": True}, {"ids": []}, {}]
    bodies += [{"ids": ["not-a-uuid"]}, [str(new_id())]]

    for params in queries:
        response = await client.get(FACTS, params=params, headers=internal)
        assert_problem(response, 422, "validation")
    for body in bodies:
        response = await client.post(LOOKUP, json=body, headers=internal)
        assert_problem(response, 422, "validation")


async def test_a_limit_over_10000_is_capped_and_pages_walk_an_index(
    w: World, database_url: str, client: httpx.AsyncClient, internal: Auth
) -> None:
    await fill(database_url, w)  # 50,000 tasks

    capped = await page(client, internal, limit=20_000)
    after = UUID(capped["next_after"])

    assert len(capped["items"]) == 10_000
    assert capped["next_after"] == capped["items"][-1][0]
    for project_id in (None, w.project.id):
        for start in (None, after):
            index = "tasks_pkey" if project_id is None else "tasks_project_id"
            plan = await explain(database_url, facts_query(project_id, start, 5_000))
            assert_index_walk(plan, index)


async def test_the_index_migration_matches_the_tables_and_goes_down_and_up(
    database_url: str,
) -> None:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(
                lambda sync: list(compare_metadata(MigrationContext.configure(sync), metadata))
            )
    finally:
        await engine.dispose()
    assert differences == []

    await MIGRATIONS.downgrade(database_url, "0001")
    assert await MIGRATIONS.current_revision(database_url) == "0001"
    await MIGRATIONS.upgrade(database_url)
    assert await MIGRATIONS.current_revision(database_url) == MIGRATIONS.head_revision() == "0002"
