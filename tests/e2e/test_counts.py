"""End to end: tasks changed through the tasks service's REST API; the projects service's GET
of the project converges to the true counts and derived status; reconcile finds no drift, and
repairs drift made behind the aggregator's back."""

from __future__ import annotations

import asyncio
import json
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from taskwire.aggregator.cli import main
from taskwire.testkit.infra import Infra
from taskwire.testkit.users import User, Users
from tests.support.system import System


def counts(**nonzero: int) -> dict[str, int]:
    fields = ("total", "todo", "in_progress", "in_review", "issue", "done", "archived")
    return {name: nonzero.get(name, 0) for name in fields}


async def board(system: System, ada: User) -> tuple[str, dict[str, str], list[str]]:
    """A workspace, a project and five tasks, all made through REST."""
    _, project = await system.workspace_and_project(ada)
    statuses = {s["category"]: s["id"] for s in project["statuses"]}
    tasks = []
    for number in range(5):
        body = {"title": f"task {number}"}
        made = await system.ok(system.tasks, "POST", f"/projects/{project['id']}/tasks", ada, body)
        tasks.append(made["id"])
    return project["id"], statuses, tasks


async def test_counts_converge_through_the_whole_pipeline(system: System, users: Users) -> None:
    ada = users("ada")
    project, statuses, (t0, t1, t2, t3, t4) = await board(system, ada)
    await system.project_shows(ada, project, counts(total=5, todo=5), "todo")

    call = system.ok
    await call(system.tasks, "POST", f"/tasks/{t0}/move", ada, {"status_id": statuses["done"]})
    await call(system.tasks, "POST", f"/tasks/{t1}/move", ada, {"status_id": statuses["issue"]})
    await call(system.tasks, "POST", f"/tasks/{t2}/archive", ada)
    await call(system.tasks, "POST", f"/tasks/{t3}/archive", ada)
    await call(system.tasks, "POST", f"/tasks/{t3}/restore", ada)
    await call(system.tasks, "DELETE", f"/tasks/{t4}", ada)
    truth = counts(total=3, todo=1, issue=1, done=1, archived=1)
    await system.project_shows(ada, project, truth, "issue")

    await call(system.tasks, "POST", f"/tasks/{t1}/move", ada, {"status_id": statuses["done"]})
    await call(system.tasks, "POST", f"/tasks/{t3}/move", ada, {"status_id": statuses["done"]})
    await system.project_shows(ada, project, counts(total=3, done=3, archived=1), "done")

    direct = await call(system.aggregator, "GET", f"/projects/{project}/counts", ada)
    assert direct["counts"] == counts(total=3, done=3, archived=1)
    report = await system.reconcile(project)
    assert report["drift_found"] is False, report
    assert report["tasks_checked"] == 5


async def test_reconcile_repairs_drift_and_reports_it(
    system: System, users: Users, infra: Infra
) -> None:
    ada = users("ada")
    project, statuses, (t0, t1, _, _, _) = await board(system, ada)
    await system.ok(system.tasks, "POST", f"/tasks/{t0}/move", ada, {"status_id": statuses["done"]})
    truth = counts(total=5, todo=4, done=1)
    await system.project_shows(ada, project, truth, "in_progress")

    engine = create_async_engine(system.aggregator_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"DELETE FROM task_facts WHERE task_id = '{t1}'"))  # lost
            await conn.execute(  # the same version, other facts
                text(f"UPDATE task_facts SET category = 'issue' WHERE task_id = '{t0}'")
            )
            await conn.execute(  # a task nobody made
                text(
                    "INSERT INTO task_facts VALUES "
                    f"('{uuid4()}', '{project}', 'todo', false, false, 3)"
                )
            )
            await conn.execute(text("UPDATE project_counts SET total = total + 7, todo = 40"))
    finally:
        await engine.dispose()

    report = await system.reconcile()
    assert (report["tasks_behind"], report["tasks_corrupt"], report["tasks_unknown"]) == (1, 1, 1)
    assert report["counts_repaired"][project]  # the counts themselves had drifted too
    assert report["drift_found"] is True
    await system.project_shows(ada, project, truth, "in_progress")
    again = await system.reconcile()
    assert again["drift_found"] is False, again


async def test_the_reconcile_command_repairs_and_reports(
    system: System,
    users: Users,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ada = users("ada")
    project, _, (t0, *_) = await board(system, ada)
    await system.project_shows(ada, project, counts(total=5, todo=5), "todo")
    engine = create_async_engine(system.aggregator_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"DELETE FROM task_facts WHERE task_id = '{t0}'"))
            await conn.execute(text("UPDATE project_counts SET total = 4, todo = 4"))
    finally:
        await engine.dispose()
    monkeypatch.setenv("TASKWIRE_AGGREGATOR_DATABASE_URL", system.aggregator_database)
    monkeypatch.setenv("TASKWIRE_AGGREGATOR_TASKS_URL", system.tasks)
    monkeypatch.setenv("TASKWIRE_REDIS_KEY_PREFIX", f"tw:cli{uuid4().hex[:8]}:")

    with pytest.raises(SystemExit) as exited:
        await asyncio.to_thread(main, ["reconcile", "--project", project])
    assert exited.value.code == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert (report["tasks_checked"], report["tasks_behind"], report["drift_found"]) == (5, 1, True)
    assert f"reconciling project {project}" in err
    assert "checked 5 tasks: 1 behind" in err
    await system.project_shows(ada, project, counts(total=5, todo=5), "todo")
