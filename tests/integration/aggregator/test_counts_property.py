"""Property: whatever the delivery (duplicated, reordered, batches applied again), the stored
counts equal a recount of the final task states, and the last derived status follows the table.

Runs the consumer's own handler (parse, then `Counter.count` in one transaction per batch) on a
real database; the broker's part (redelivery) is what the batches applied again stand for.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from taskwire.aggregator import domain, tables
from taskwire.aggregator.handlers import parse
from taskwire.aggregator.use_cases.counting import Counter
from taskwire.common.events import Envelope, decode, encode
from taskwire.common.events.projects import Category
from taskwire.common.outbox import EventUnitOfWork, Outbox
from taskwire.testkit.board import Board
from taskwire.testkit.counts import CountsDb, expected_counts, nonzero
from taskwire.testkit.databases import create_database, drop_database
from taskwire.testkit.infra import Infra

OPERATION = st.tuples(
    st.sampled_from(["create", "move", "archive", "restore", "delete"]),
    st.integers(0, 1_000),  # which task, or which project for a create
    st.sampled_from(list(Category)),
)


@pytest.fixture(scope="module")
def database(infra: Infra, aggregator_template: str) -> Iterator[str]:
    """One database for every example: each example's projects are new, so none interfere."""
    name = f"tw_aggregator_property_{uuid.uuid4().hex[:8]}"
    admin = infra.postgres_admin_url
    yield asyncio.run(create_database(admin, name, template=aggregator_template))
    asyncio.run(drop_database(admin, name))


def play(board: Board, operations: list[tuple[str, int, Category]]) -> list[Envelope]:
    events: list[Envelope] = []
    for name, pick, category in operations:
        live = [t for t in board.tasks.values() if not t.deleted]
        if name == "create" or not live:
            events.append(board.create(board.projects[pick % len(board.projects)], category))
            continue
        task = live[pick % len(live)]
        if name == "move":
            events.append(board.move(task.id, category))
        elif name == "archive" and task.archived_at is None:
            events.append(board.archive(task.id))
        elif name == "restore" and task.archived_at is not None:
            events.append(board.restore(task.id))
        elif name == "delete":
            events.append(board.delete(task.id))
    return events


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[Board, list[list[Envelope]]]:
    """A board's events, with duplicates, shuffled, cut into batches; some batches twice."""
    board = Board(projects=3)
    events = play(board, draw(st.lists(OPERATION, min_size=1, max_size=40)))
    duplicates = draw(st.lists(st.sampled_from(events), max_size=len(events)))
    delivered = draw(st.permutations(events + duplicates))
    batches: list[list[Envelope]] = []
    while delivered:
        size = draw(st.integers(1, 12))
        batches.append(delivered[:size])
        delivered = delivered[size:]
        if draw(st.booleans()) and draw(st.integers(0, 3)) == 0:
            batches.append(draw(st.sampled_from(batches)))  # a redelivered batch
    return board, batches


async def scenario(url: str, board: Board, batches: list[list[Envelope]]) -> None:
    async with CountsDb.open(url) as db:
        outbox = Outbox(tables.outbox)
        counter = Counter()
        for batch in batches:
            async with EventUnitOfWork(db.engine, outbox) as uow:
                await counter.count(uow, [parse(encode(event)) for event in batch])
                await uow.commit()
        counts = {p: c for p, c in (await db.counts()).items() if p in board.projects}
        assert nonzero(counts) == expected_counts(board.facts())
        for project, status in (await last_derived_status(db, board.projects)).items():
            assert status is domain.derived_status(counts[project])


async def last_derived_status(db: CountsDb, projects: list[UUID]) -> dict[UUID, Category]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM outbox WHERE routing_key = 'project.progress_changed'")
        )
        latest: dict[UUID, tuple[int, Category]] = {}
        for (payload,) in rows:
            event = decode(payload)
            if event.project_id in projects:
                version = event.data["counts_version"]
                if event.project_id not in latest or latest[event.project_id][0] < version:
                    latest[event.project_id] = (version, Category(event.data["derived_status"]))
    return {project: status for project, (_, status) in latest.items()}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(deliveries())
def test_counts_equal_a_recount_whatever_the_delivery(
    database: str, delivery: tuple[Board, list[list[Envelope]]]
) -> None:
    board, batches = delivery
    asyncio.run(scenario(database, board, batches))
