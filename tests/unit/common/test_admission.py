"""The admission turnstile: a bound on work at once, a fair queue per caller, a bounded wait."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI

from taskwire.common.admission import Admission, AdmissionLimits, Shed, ShedOverload


def _limits(**overrides: float) -> AdmissionLimits:
    values = {"in_flight": 1, "queued_per_caller": 10, "queued": 100, "wait_seconds": 5.0}
    values |= overrides
    return AdmissionLimits(
        int(values["in_flight"]),
        int(values["queued_per_caller"]),
        int(values["queued"]),
        values["wait_seconds"],
        values.get("loop_lag_seconds", 1.0),
    )


async def test_waiting_callers_are_served_in_turn_not_in_arrival_order() -> None:
    admission = Admission(_limits())
    await admission.enter("holder")
    served: list[str] = []

    async def request(caller: str) -> None:
        await admission.enter(caller)
        served.append(caller)
        admission.leave()

    # The flood queues five before the neighbour's one arrives.
    waiting = [asyncio.create_task(request("flood")) for _ in range(5)]
    await asyncio.sleep(0)
    waiting.append(asyncio.create_task(request("neighbour")))
    await asyncio.sleep(0)
    admission.leave()
    await asyncio.gather(*waiting)
    assert served[:2] == ["flood", "neighbour"]
    assert admission.in_flight == 0


async def test_a_caller_over_its_queue_is_told_429_at_once() -> None:
    admission = Admission(_limits(queued_per_caller=2))
    await admission.enter("holder")
    queued = [asyncio.create_task(admission.enter("flood")) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(Shed) as refused:
        await admission.enter("flood")
    assert (refused.value.status, refused.value.retry_after) == (429, 1)
    neighbour = asyncio.create_task(admission.enter("neighbour"))  # still has room
    await asyncio.sleep(0)
    assert not neighbour.done()
    for task in [*queued, neighbour]:
        task.cancel()
    await asyncio.gather(*queued, neighbour, return_exceptions=True)
    admission.leave()
    assert admission.in_flight == 0


async def test_the_wait_is_bounded_then_503() -> None:
    admission = Admission(_limits(wait_seconds=0.05))
    await admission.enter("holder")
    started = asyncio.get_running_loop().time()
    with pytest.raises(Shed) as refused:
        await admission.enter("late")
    assert refused.value.status == 503
    assert asyncio.get_running_loop().time() - started < 1
    admission.leave()
    assert admission.in_flight == 0
    await admission.enter("next")  # nothing was left behind in the queue
    assert admission.in_flight == 1


async def test_the_whole_queue_is_bounded() -> None:
    admission = Admission(_limits(queued=1))
    await admission.enter("holder")
    first = asyncio.create_task(admission.enter("a"))
    await asyncio.sleep(0)
    with pytest.raises(Shed) as refused:
        await admission.enter("b")
    assert refused.value.status == 503
    admission.leave()
    await first
    admission.leave()
    assert admission.in_flight == 0


async def test_over_http_probes_pass_and_the_shed_answer_carries_retry_after() -> None:
    gate = asyncio.Event()
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await gate.wait()
        return {"ok": True}

    @app.get("/livez")
    async def livez() -> dict[str, bool]:
        return {"ok": True}

    app.add_middleware(ShedOverload, admission=Admission(_limits(queued=0)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        first = asyncio.create_task(client.get("/slow"))
        await asyncio.sleep(0.05)
        shed = await client.get("/slow", headers={"Authorization": "Bearer other"})
        probe = await client.get("/livez")
        gate.set()
        assert (await first).status_code == 200
    assert shed.status_code == 503
    assert shed.headers["retry-after"] == "1"
    assert shed.headers["content-type"] == "application/problem+json"
    assert probe.status_code == 200


async def test_a_late_loop_admits_fewer_and_a_punctual_one_more_again() -> None:
    admission = Admission(_limits(in_flight=8, loop_lag_seconds=0.02))
    assert admission.allowed == 2  # a start is slow: the bound is earned
    admission.allowed = 8  # as after a while of punctual load
    for _ in range(8):
        await admission.enter("flood")
    waiting = [asyncio.create_task(admission.enter("flood")) for _ in range(4)]
    await asyncio.sleep(0)

    admission.adjust(0.1)  # the loop woke 100 ms late: saturated
    assert admission.allowed == 6
    admission.leave()
    admission.leave()  # above the bound: the slots are freed, not passed on
    assert admission.in_flight == 6
    assert not any(task.done() for task in waiting)
    for _ in range(4):
        admission.adjust(0.1)
    assert admission.allowed == 2  # never below the least

    admission.adjust(0.001)  # on time, with requests waiting: one more a reading
    assert admission.allowed == 3
    for _ in range(3):
        admission.leave()
    assert admission.in_flight == 3
    assert not any(task.done() for task in waiting)
    for _ in range(5):
        admission.adjust(0.001)
    await asyncio.sleep(0)
    assert all(task.done() for task in waiting)
    assert (admission.in_flight, admission.allowed) == (7, 7)  # grown while anyone waited


def hold_up_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # as a burst of CPU-bound work would


async def test_the_loop_is_watched_while_the_service_runs() -> None:
    admission = Admission(_limits(in_flight=8, loop_lag_seconds=0.02))
    admission.allowed = 8
    watching = asyncio.create_task(admission.watch_loop())
    await asyncio.sleep(0.06)
    hold_up_the_loop(0.2)
    await asyncio.sleep(0.06)
    watching.cancel()
    assert admission.allowed < 8


async def test_a_burst_that_had_to_wait_earns_a_slot_though_gone_by_the_reading() -> None:
    admission = Admission(_limits(in_flight=8, loop_lag_seconds=0.02))
    await admission.enter("a")
    await admission.enter("b")
    third = asyncio.create_task(admission.enter("c"))  # the bound is 2: this one waits
    await asyncio.sleep(0)
    admission.leave()
    await third
    admission.leave()
    admission.leave()
    assert admission.in_flight == 0
    admission.adjust(0.001)  # nobody waits now, but someone did
    assert admission.allowed == 3
    admission.adjust(0.001)  # and nobody since: the bound stays
    assert admission.allowed == 3
