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
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.aggregator import domain, store
from taskwire.aggregator.counting import apply_facts, changes_between
from taskwire.aggregator.handlers import Counter
from taskwire.aggregator.snapshot import Row, TaskSnapshot, facts_of
from taskwire.common.events.projects import Counts
from taskwire.common.outbox import EventUnitOfWork

UnitOfWorkFactory = Callable[[], EventUnitOfWork]


@dataclass
class Drift:
    """What a reconcile found (and repaired)."""

    tasks_checked: int = 0
    tasks_behind: int = 0  # the snapshot was newer: an event not applied yet, or lost
    tasks_corrupt: int = 0  # the same version with other facts
    tasks_unknown: int = 0  # held as counting, unknown to the tasks service
    projects_checked: int = 0
    counts_repaired: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.tasks_behind or self.tasks_corrupt or self.tasks_unknown) or bool(
            self.counts_repaired
        )

    def as_dict(self) -> dict[str, object]:
        return {**dataclasses.asdict(self), "drift_found": self.found}


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
        seen.update(row[0] for row in page)
        projects.update(row[1] for row in page)
        drift.tasks_checked += len(page)
        await _repair_facts(engine, unit_of_work, counter, page, drift)
        on_progress(drift)
    await _drop_unknown(engine, unit_of_work, counter, snapshot, project_id, seen, drift)
    async with engine.connect() as conn:
        held = await store.read_counts(conn, None if project_id is None else [project_id])
    for project in sorted({UUID(p) for p in projects} | set(held)):
        await _recount(unit_of_work, counter, project, drift)
    on_progress(drift)
    return drift


async def _repair_facts(
    engine: AsyncEngine,
    unit_of_work: UnitOfWorkFactory,
    counter: Counter,
    truth: list[Row],
    drift: Drift,
) -> None:
    async with engine.connect() as conn:
        held = await store.read_rows(conn, [row[0] for row in truth])
    differing = []
    for row in truth:
        mine = held.get(row[0])
        if mine == row:
            continue
        if mine is None or mine[5] < row[5]:
            drift.tasks_behind += 1
        elif mine[5] == row[5]:
            drift.tasks_corrupt += 1
        else:
            continue  # held newer: the task changed after the page was read
        differing.append(facts_of(row))
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
        unseen = await store.held_task_ids(conn, project_id) - seen
    if not unseen:
        return
    # Created after the walk passed them, or truly unknown: the tasks service tells which.
    existing = await snapshot.lookup(unseen)
    await _repair_facts(engine, unit_of_work, counter, existing, drift)
    gone = unseen - {row[0] for row in existing}
    if not gone:
        return
    async with engine.connect() as conn:
        held = await store.read_facts(conn, sorted(gone))
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
        stored = await store.lock_counts(uow.connection, project_id)
        facts = await store.project_facts(uow.connection, project_id)
        truth = domain.recount(facts).get(project_id, Counts())
        current = stored.counts
        if truth == current:
            return
        diff = {
            name: getattr(truth, name) - getattr(current, name)
            for name in domain.FIELDS
            if getattr(truth, name) != getattr(current, name)
        }
        drift.counts_repaired[str(project_id)] = diff
        (after,) = await store.set_counts(uow.connection, {project_id: truth})
        counter.record(uow, [changes_between(stored, after)])
        await uow.commit()
