"""Creates racing in one project: each gets its own number, with no gap and no error."""

from __future__ import annotations

import asyncio

from tests.integration.tasks.helpers import Api, World
from tests.support.amqp import EventTap
from tests.support.bus import Bus
from tests.support.sql import fetch

RACERS = 100


async def test_a_hundred_concurrent_creates_get_distinct_gapless_numbers(
    api: Api, w: World, tap: EventTap, database_url: str
) -> None:
    writers = (w.owner, w.member)

    responses = await asyncio.gather(
        *(api.post(writers[i % 2], w.tasks_url, {"title": f"task {i}"}) for i in range(RACERS))
    )

    assert [r.status_code for r in responses] == [201] * RACERS, [
        r.text for r in responses if r.status_code != 201
    ]
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == list(range(1, RACERS + 1))
    positions = {r.json()["position"] for r in responses}
    assert len(positions) == RACERS
    rows = await fetch(database_url, "SELECT number FROM tasks ORDER BY number")
    assert [r[0] for r in rows] == numbers
    events = await Bus(tap, database_url).take(RACERS)
    assert sorted(e.data["number"] for e in events) == numbers
    assert {e.data["position"] for e in events} == positions
