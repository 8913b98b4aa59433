"""Guarantees 4 to 6, held against what flowed on: the replica equal to the projects
service's, a removed member refused, every watcher's view equal to the stored tasks, every
outbox published and every dead-letter queue empty."""

from __future__ import annotations

import httpx

from taskwire.testkit.soak.admin import Admin
from taskwire.testkit.soak.stores import Stores, fetched
from taskwire.testkit.soak.watchers import Watcher

REPLICATED = {
    "projects": "SELECT id::text, version FROM projects WHERE workspace_id = ANY($1::uuid[])",
    "statuses": "SELECT id::text, version FROM statuses WHERE workspace_id = ANY($1::uuid[])",
    "members": "SELECT workspace_id::text || '/' || user_id::text, version FROM members"
    " WHERE workspace_id = ANY($1::uuid[])",
}


async def replicated(stores: Stores, workspaces: list[str]) -> list[str]:
    """4. The tasks service's replica holds the projects service's projects, statuses and
    members, version for version."""
    found = []
    for table, sql in REPLICATED.items():
        truth = {r[0]: r[1] for r in await fetched(stores.projects, sql, workspaces)}
        replica = {r[0]: r[1] for r in await fetched(stores.tasks, sql, workspaces)}
        for key in sorted(truth.keys() | replica.keys()):
            if truth.get(key) != replica.get(key):
                found.append(
                    f"{table} {key}: projects v{truth.get(key)}, replica v{replica.get(key)}"
                )
    return found


async def refused(gateway: str, admins: list[Admin]) -> list[str]:
    """4b. A member removed (and not added back) is refused every project of the workspace."""
    found = []
    async with httpx.AsyncClient(base_url=f"{gateway}/api/v1", timeout=10) as http:
        for admin in admins:
            for person in admin.removed.values():
                for project in admin.workspace.projects:
                    path = f"/projects/{project.id}/tasks"
                    answer = await http.get(path, headers=person.auth)
                    if answer.status_code not in (403, 404):
                        found.append(
                            f"{person.email} removed, {path} answered {answer.status_code}"
                        )
    return found


async def watched(stores: Stores, watchers: list[Watcher]) -> list[str]:
    """5. What each watcher holds of every task of its rooms' projects is what the tasks
    service stores (a deleted task: held deleted, or never seen)."""
    found = []
    for watcher in watchers:
        projects = [room.project_id for room in watcher.rooms if room.project_id]
        rows = await fetched(
            stores.tasks,
            "SELECT id::text, title, status_id::text, archived_at IS NOT NULL AS archived,"
            " deleted, version FROM tasks WHERE project_id = ANY($1::uuid[])",
            projects,
        )
        for row in rows:
            held = watcher.tasks.get(row["id"])
            if row["deleted"]:
                if held is not None and not held[3]:
                    found.append(f"{watcher.name}: task {row['id']} deleted, still shown")
                continue
            stored = (row["title"], row["status_id"], row["archived"], False, row["version"])
            if held != stored:
                found.append(f"{watcher.name}: task {row['id']} shown as {held}, stored {stored}")
    return found


async def drained(stores: Stores) -> list[str]:
    """6. Every outbox published, every dead-letter queue empty."""
    found = []
    for name, dsn in (("projects", stores.projects), ("tasks", stores.tasks),
                      ("aggregator", stores.aggregator)):  # fmt: skip
        (row,) = await fetched(dsn, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
        if row["n"]:
            found.append(f"{name}: {row['n']} events never published")
    for queue, depth in (await stores.dead_letter_depths()).items():
        if depth:
            found.append(f"{queue}: {depth} dead letters")
    return found
