"""Recount from the tasks service's ground truth, repair what differs, report the drift.

Each snapshot page is compared with the held facts; the tasks whose facts differ go through the
consumer's own step (`apply_facts`, by version), so a task changed while reconcile runs is
neither lost nor counted twice, whichever of its event and the page comes first. Facts held for
tasks the tasks service does not know are dropped. Last, each project's counts are recounted
from its facts under the counts row's lock and repaired where they differ.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.aggregator import domain
from taskwire.aggregator.domain import Drift, FactsRow
from taskwire.aggregator.store import counts as stored_counts
from taskwire.aggregator.store import facts as stored_facts
from taskwire.aggregator.tasks_snapshot import TaskSnapshot
from taskwire.aggregator.use_cases.counting import Counter, apply_facts, changes_between
from taskwire.common.events.projects import Counts
from taskwire.common.outbox import EventUnitOfWork

UnitOfWorkFactory = Callable[[], EventUnitOfWork]
Progress = Callable[[Drift], None]


async def reconcile(
    engine: AsyncEngine,
    unit_of_work: UnitOfWorkFactory,
    counter: Counter,
    snapshot: TaskSnapshot,
    project_id: UUID | None = None,
    on_progress: Progress = lambda drift: None,
) -> Drift:
    drift = Drift()
    seen: set[str] = set()
    projects: set[str] = set() if project_id is None else {str(project_id)}
    async for page in snapshot.pages(project_id):
        seen.update(row.task_id for row in page)
        projects.update(row.project_id for row in page)
        drift.tasks_checked += len(page)
        await _repair_facts(engine, unit_of_work, counter, page, drift)
        on_progress(drift)
    await _drop_unknown(engine, unit_of_work, counter, snapshot, project_id, seen, drift)
    async with engine.connect() as conn:
        held = await stored_counts.read_counts(conn, None if project_id is None else [project_id])
    for project in sorted({UUID(p) for p in projects} | set(held)):
        await _recount(unit_of_work, counter, project, drift)
    on_progress(drift)
    counter.reconciled(drift)
    return drift


async def _repair_facts(
    engine: AsyncEngine,
    unit_of_work: UnitOfWorkFactory,
    counter: Counter,
    truth: list[FactsRow],
    drift: Drift,
) -> None:
    async with engine.connect() as conn:
        held = await stored_facts.read_rows(conn, [row.task_id for row in truth])
    differing = []
    for row in truth:
        found = domain.standing(held.get(row.task_id), row)
        if found is None:
            continue
        drift.note(found)
        differing.append(row.parsed())
    if differing:
        async with unit_of_work() as uow:
            counter.record(uow, await apply_facts(uow.connection, differing, {}, repair=True))
            await uow.commit()


async def _drop_unknown(
    engine: AsyncEngine,
    unit_of_work: UnitOfWorkFactory,
    counter: Counter,
    snapshot: TaskSnapshot,
    project_id: UUID | None,
    seen: set[str],
    drift: Drift,
) -> None:
    async with engine.connect() as conn:
        unseen = await stored_facts.held_task_ids(conn, project_id) - seen
    if not unseen:
        return
    # Created after the walk passed them, or truly unknown: the tasks service tells which.
    existing = await snapshot.lookup(unseen)
    await _repair_facts(engine, unit_of_work, counter, existing, drift)
    gone = unseen - {row.task_id for row in existing}
    if not gone:
        return
    async with engine.connect() as conn:
        held = await stored_facts.read_facts(conn, sorted(gone))
    drift.tasks_unknown += len(held)
    # The same version, deleted: a repair that makes them count nowhere, with no version made up.
    tombstones = [dataclasses.replace(f, deleted=True) for f in held.values()]
    async with unit_of_work() as uow:
        counter.record(uow, await apply_facts(uow.connection, tombstones, {}, repair=True))
        await uow.commit()


async def _recount(
    unit_of_work: UnitOfWorkFactory, counter: Counter, project_id: UUID, drift: Drift
) -> None:
    drift.projects_checked += 1
    async with unit_of_work() as uow:
        # The counts row's lock first, then the facts: a batch holding the lock has committed
        # its facts by the time the recount reads them; one waiting for it has not written yet.
        stored = await stored_counts.lock_counts(uow.connection, project_id)
        facts = await stored_facts.project_facts(uow.connection, project_id)
        truth = domain.recount(facts).get(project_id, Counts())
        if truth == stored.counts:
            return
        drift.counts_repaired[str(project_id)] = domain.difference(truth, stored.counts)
        (after,) = await stored_counts.set_counts(uow.connection, {project_id: truth})
        counter.record(uow, [changes_between(stored, after)])
        await uow.commit()
