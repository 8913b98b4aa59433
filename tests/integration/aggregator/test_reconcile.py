"""Reconcile against a snapshot that moves while it is read: tasks changed during the walk,
before or after their page, are neither lost nor counted twice.

The snapshot is a fake of our own interface (TaskSnapshot): it reads the board at the moment
each page is asked for, as the tasks service would, and between pages the board changes and
the aggregator applies some of those changes, as its consumer would."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterable
from uuid import UUID

from taskwire.aggregator import tables
from taskwire.aggregator.domain import FactsRow
from taskwire.aggregator.handlers import parse
from taskwire.aggregator.use_cases.counting import Counter
from taskwire.aggregator.use_cases.reconciling import reconcile
from taskwire.common.events import Envelope, encode
from taskwire.common.outbox import EventUnitOfWork, Outbox
from taskwire.testkit.board import Board
from taskwire.testkit.counts import CountsDb, expected_counts, nonzero


class MovingSnapshot:
    def __init__(self, board: Board, page_size: int, between_pages: object) -> None:
        self.board = board
        self.page_size = page_size
        self.between_pages = between_pages

    async def pages(self, project_id: UUID | None) -> AsyncIterator[list[FactsRow]]:
        after: UUID | None = None
        while True:
            facts = sorted(self.board.facts(), key=lambda f: f.task_id)
            taken = [f for f in facts if after is None or f.task_id > after][: self.page_size]
            page = [FactsRow.of(f) for f in taken]
            # Read, then changed and partly applied before reconcile gets to apply the page.
            await self.between_pages()  # type: ignore[operator]
            yield page
            if len(page) < self.page_size:
                return
            after = taken[-1].task_id

    async def lookup(self, task_ids: Iterable[str]) -> list[FactsRow]:
        wanted = set(task_ids)
        return [FactsRow.of(f) for f in self.board.facts() if str(f.task_id) in wanted]


async def apply(db: CountsDb, events: list[Envelope], applied: set[UUID] | None = None) -> None:
    if applied is not None:
        applied.update(e.id for e in events)
    async with EventUnitOfWork(db.engine, Outbox(tables.outbox)) as uow:
        await Counter().count(uow, [parse(encode(e)) for e in events])
        await uow.commit()


async def test_changes_during_a_reconcile_are_neither_lost_nor_counted_twice(
    db: CountsDb,
) -> None:
    rng = random.Random(7)
    board = Board(projects=3)
    history = [board.create(rng.choice(board.projects)) for _ in range(200)]
    history += [e for e in (board.random_operation(rng) for _ in range(300)) if e]
    # The aggregator has seen some of it; the rest is lost or still on its way.
    applied: set[UUID] = set()
    await apply(db, [e for e in history if rng.random() < 0.6], applied)
    pending: list[Envelope] = []

    async def between_pages() -> None:
        # The board changes; the aggregator applies part of it now, the rest later.
        for _ in range(25):
            if (event := board.random_operation(rng)) is not None:
                pending.append(event)
        now = [e for e in pending if rng.random() < 0.5]
        await apply(db, now, applied)

    snapshot = MovingSnapshot(board, page_size=40, between_pages=between_pages)
    engine = db.engine
    drift = await reconcile(
        engine,
        lambda: EventUnitOfWork(engine, Outbox(tables.outbox)),
        Counter(),
        snapshot,  # type: ignore[arg-type]
    )
    assert drift.tasks_behind > 0
    assert drift.tasks_corrupt == 0

    # What was still on its way arrives, late, with some duplicates; the lost history does not.
    on_the_way = [e for e in pending if e.id not in applied]
    await apply(db, on_the_way + rng.sample(on_the_way, len(on_the_way) // 3))
    assert nonzero(await db.counts()) == expected_counts(board.facts())

    async def still() -> None:
        return None

    snapshot.between_pages = still
    again = await reconcile(
        engine,
        lambda: EventUnitOfWork(engine, Outbox(tables.outbox)),
        Counter(),
        snapshot,  # type: ignore[arg-type]
    )
    assert not again.found, again
