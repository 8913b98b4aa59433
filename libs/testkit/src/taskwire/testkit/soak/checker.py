"""Every guarantee at once, against the services' own state once the system is quiet: what
the clients were told (`writers`, `history`) against the rows, the counts, the replica, the
outboxes and the dead-letter queues. Each check answers its violations, one line each."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
import httpx
import orjson

from taskwire.testkit.soak.admin import Admin
from taskwire.testkit.soak.clients import Clients
from taskwire.testkit.soak.races import Races
from taskwire.testkit.soak.watchers import Watcher
from taskwire.testkit.soak.world import Project
from taskwire.testkit.soak.writers import Writer

COUNTED = ("todo", "in_progress", "in_review", "issue", "done")


@dataclass(frozen=True)
class Stores:
    """asyncpg DSNs of each service's database, and what to ask RabbitMQ."""

    projects: str
    tasks: str
    aggregator: str
    dead_letter_depths: Callable[[], Awaitable[dict[str, int]]]


@dataclass
class Verdict:
    violations: dict[str, list[str]] = field(default_factory=dict)
    converged_at: float | None = None  # time.monotonic() when every flow had converged

    def add(self, guarantee: str, found: Sequence[str]) -> None:
        self.violations.setdefault(guarantee, []).extend(found)

    @property
    def ok(self) -> bool:
        return not any(self.violations.values())


async def _rows(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def _created(stores: Stores, projects: list[str]) -> dict[str, str]:
    """Each task's title when it was made, from its `task.created` event (the outbox keeps
    published events for a day): what tells a retried create's duplicate from an edit."""
    rows = await _rows(
        stores.tasks,
        """SELECT e #>> '{data,id}' AS id, e #>> '{data,title}' AS title
           FROM (SELECT convert_from(payload, 'UTF8')::jsonb AS e FROM outbox
                 WHERE routing_key = 'task.created') AS events
           WHERE e #>> '{data,project_id}' = ANY($1::text[])""",
        projects,
    )
    return {row["id"]: row["title"] for row in rows}


async def acknowledged(stores: Stores, writers: list[Writer], known: set[str]) -> list[str]:
    """1. Each task is as its writer's acknowledged writes leave it, and no task exists that no
    client made or may have made (`known`: tasks the soak made itself, outside the writers)."""
    owned = {t.id: t for w in writers for t in w.owned.values()}
    projects = sorted({p.id for w in writers for p in w.projects})
    rows = await _rows(
        stores.tasks,
        "SELECT id::text, title, status_id::text, archived_at IS NOT NULL AS archived, deleted,"
        " version FROM tasks WHERE project_id = ANY($1::uuid[])",
        projects,
    )
    created = await _created(stores, projects)
    maybe = {title for w in writers for title in w.keys.values()}
    maybe |= {p for w in writers for p in w.bulks}
    found = []
    for row in rows:
        task = owned.pop(row["id"], None)
        if task is None:
            title = created.get(row["id"], "")
            if (
                row["id"] not in known
                and title not in maybe
                and title.rsplit(" #", 1)[0] not in maybe
            ):
                found.append(f"task {row['id']} ({title!r}) made by no client")
            continue
        held = (row["title"], row["status_id"], row["archived"], row["deleted"], row["version"])
        told = (task.title, task.status_id, task.archived, task.deleted, task.version)
        if held != told and not task.unsettled:
            trail = "; ".join(task.trail[-8:])
            found.append(f"task {row['id']}: stored {held}, acknowledged {told} ({trail})")
    found += [f"task {t} acknowledged as created, not stored" for t in owned]
    return found


async def applied_once(stores: Stores, writers: list[Writer]) -> list[str]:
    """2. An Idempotency-Key made at most one task, an import all or none of its tasks, and
    each project's task numbers run 1..n with no gap and no repeat."""
    projects = sorted({p.id for w in writers for p in w.projects})
    created = Counter((await _created(stores, projects)).values())
    keyed = {title for w in writers for title in w.keys.values()}
    found = [f"{created[t]} tasks for one Idempotency-Key ({t!r})" for t in keyed if created[t] > 1]
    for writer in writers:
        for prefix, size in writer.bulks.items():
            made = sum(created[f"{prefix} #{n}"] for n in range(size))
            if made not in (0, size):
                found.append(f"import {prefix!r} made {made} of its {size} tasks")
    rows = await _rows(
        stores.tasks,
        "SELECT project_id::text, number FROM tasks WHERE project_id = ANY($1::uuid[])",
        projects,
    )
    numbers: dict[str, list[int]] = {}
    for row in rows:
        numbers.setdefault(row["project_id"], []).append(row["number"])
    for project, taken in numbers.items():
        if sorted(taken) != list(range(1, len(taken) + 1)):
            found.append(f"project {project}: numbers {_gaps(sorted(taken))}")
    return found


def _gaps(taken: list[int]) -> str:
    missing = sorted(set(range(1, taken[-1] + 1)) - set(taken))
    repeated = sorted(n for n, c in Counter(taken).items() if c > 1)
    return f"missing {missing[:10]}, repeated {repeated[:10]}"


async def counted(stores: Stores, projects: list[str]) -> list[str]:
    """3. The aggregator's counts equal a recount of the tasks service's rows, and the projects
    service shows the same counts."""
    rows = await _rows(
        stores.tasks,
        "SELECT project_id::text AS p, category, archived_at IS NOT NULL AS archived"
        " FROM tasks WHERE NOT deleted AND project_id = ANY($1::uuid[])",
        projects,
    )
    recount: dict[str, Counter[str]] = {p: Counter() for p in projects}
    for row in rows:
        into = recount[row["p"]]
        if row["archived"]:
            into["archived"] += 1
        else:
            into["total"] += 1
            into[row["category"]] += 1
    fields = ("total", *COUNTED, "archived")
    held = {
        row["p"]: Counter({f: row[f] for f in fields if row[f]})
        for row in await _rows(
            stores.aggregator,
            f"SELECT project_id::text AS p, {', '.join(fields)} FROM project_counts"
            " WHERE project_id = ANY($1::uuid[])",
            projects,
        )
    }
    shown = {
        row["p"]: Counter({f: n for f, n in _json(row["counts"]).items() if n})
        for row in await _rows(
            stores.projects,
            "SELECT id::text AS p, counts::text AS counts FROM projects WHERE id = ANY($1::uuid[])",
            projects,
        )
    }
    found = []
    for project in projects:
        want = +recount[project]
        for who, counts in (("aggregator", held), ("projects service", shown)):
            if (has := +counts.get(project, Counter())) != want:
                found.append(f"project {project}: {who} {dict(has)}, rows {dict(want)}")
    return found


def _json(text: str) -> dict[str, int]:
    loaded: dict[str, int] = orjson.loads(text)
    return loaded


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
        truth = {r[0]: r[1] for r in await _rows(stores.projects, sql, workspaces)}
        replica = {r[0]: r[1] for r in await _rows(stores.tasks, sql, workspaces)}
        for key in sorted(truth.keys() | replica.keys()):
            if truth.get(key) != replica.get(key):
                found.append(
                    f"{table} {key}: projects v{truth.get(key)}, replica v{replica.get(key)}"
                )
    return found


async def contended(stores: Stores, races: Races, projects: list[Project]) -> list[str]:
    """1b. Racing edits with If-Match: no version given twice, the last win is what is stored."""
    ids = [task for project in projects for task in project.contended]
    rows = await _rows(
        stores.tasks, "SELECT id::text, version, title FROM tasks WHERE id = ANY($1::uuid[])", ids
    )
    return races.judge({row["id"]: (row["version"], row["title"]) for row in rows})


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
        rows = await _rows(
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
        (row,) = await _rows(dsn, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
        if row["n"]:
            found.append(f"{name}: {row['n']} events never published")
    for queue, depth in (await stores.dead_letter_depths()).items():
        if depth:
            found.append(f"{queue}: {depth} dead letters")
    return found


async def check(stores: Stores, clients: Clients, settle_seconds: float = 60.0) -> Verdict:
    """Wait (up to `settle_seconds`) for what flows on to converge, settle what no answer
    settled (and what the services moved on their own), then judge."""
    writers, watchers, history = clients.writers, clients.watchers, clients.history
    workspaces = [admin.workspace.id for admin in clients.admins]
    everything = [p for admin in clients.admins for p in admin.workspace.projects]
    projects = sorted(p.id for p in everything)
    started = time.monotonic()
    verdict = Verdict()
    while True:
        flowing = await counted(stores, projects) + await replicated(stores, workspaces)
        flowing += await drained(stores) + await watched(stores, watchers)
        if not flowing:
            verdict.converged_at = time.monotonic()
            break
        if time.monotonic() - started > settle_seconds:
            verdict.add("converged", flowing)
            break
        await asyncio.sleep(0.5)
    for writer in writers:
        for task in writer.owned.values():
            if task.unsettled or task.frozen:
                await writer.settle(task)
    known = {task for project in everything for task in project.contended}
    verdict.add("1 acknowledged writes kept", await acknowledged(stores, writers, known))
    verdict.add(
        "1 racing If-Match edits: one winner each",
        await contended(stores, clients.races, everything),
    )
    verdict.add("2 applied at most once, numbers gapless", await applied_once(stores, writers))
    verdict.add("3 counts equal a recount", await counted(stores, projects))
    verdict.add("4 replica equals the projects service", await replicated(stores, workspaces))
    verdict.add("4 a removed member is refused", await refused(clients.gateway, clients.admins))
    verdict.add(
        "5 every watcher converged, no unannounced gap",
        [gap for w in watchers for gap in w.unannounced_gaps] + await watched(stores, watchers),
    )
    verdict.add("6 outboxes drained, no dead letters", await drained(stores))
    verdict.add(
        "7 no 5xx but 503",
        [f"{kind}: {status}" for _, kind, status in history.bad_answers],
    )
    return verdict
