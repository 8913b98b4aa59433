"""Guarantees 1 to 3, held against the rows: every acknowledged write kept, racing If-Match
edits with one winner each, nothing applied twice, numbers gapless, counts equal a recount."""

from __future__ import annotations

from collections import Counter

import orjson

from taskwire.testkit.soak.races import Races
from taskwire.testkit.soak.stores import Stores, fetched
from taskwire.testkit.soak.world import Project
from taskwire.testkit.soak.writers import Writer

COUNTED = ("todo", "in_progress", "in_review", "issue", "done")


async def _created(stores: Stores, projects: list[str]) -> dict[str, str]:
    """Each task's title when it was made, from its `task.created` event (the outbox keeps
    published events for a day): what tells a retried create's duplicate from an edit."""
    rows = await fetched(
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
    rows = await fetched(
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
        # A delete whose answer was lost and whose retry found the task gone (404) is known to
        # have applied, at a version the writer was never told: the tombstone's.
        compared = 4 if row["deleted"] and task.deleted else 5
        if held[:compared] != told[:compared] and not task.unsettled:
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
    rows = await fetched(
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
    rows = await fetched(
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
        for row in await fetched(
            stores.aggregator,
            f"SELECT project_id::text AS p, {', '.join(fields)} FROM project_counts"
            " WHERE project_id = ANY($1::uuid[])",
            projects,
        )
    }
    shown = {
        row["p"]: Counter({f: n for f, n in _json(row["counts"]).items() if n})
        for row in await fetched(
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


async def contended(stores: Stores, races: Races, projects: list[Project]) -> list[str]:
    """1b. Racing edits with If-Match: no version given twice, the last win is what is stored."""
    ids = [task for project in projects for task in project.contended]
    rows = await fetched(
        stores.tasks, "SELECT id::text, version, title FROM tasks WHERE id = ANY($1::uuid[])", ids
    )
    return races.judge({row["id"]: (row["version"], row["title"]) for row in rows})
