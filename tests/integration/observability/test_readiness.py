"""`/readyz` answers 503 while a dependency the service needs is down, and 200 again by itself
once it is back; `taskwire_dependency_up` follows."""

from __future__ import annotations

from typing import Any

import httpx

from taskwire.testkit.waiting import eventually
from tests.integration.observability.conftest import BehindProxy
from tests.support.metrics import scrape


async def readiness(base_url: str) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.get("/readyz")
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def test_readyz_fails_while_the_broker_is_down_and_recovers_by_itself(
    projects_behind_proxy: BehindProxy,
) -> None:
    url, broker = projects_behind_proxy.url, projects_behind_proxy.broker

    async def status(code: int, broker_up: float) -> dict[str, Any]:
        answer, body = await readiness(url)
        up = (await scrape(url)).value("taskwire_dependency_up", dependency="broker")
        return body if answer == code and up == broker_up else {}

    ready = await eventually(lambda: status(200, 1.0), what="ready at start")
    assert ready["checks"] == {"database": "ok", "broker": "ok"}

    await broker.cut()  # as a stopped broker: every connection dropped, none accepted
    down = await eventually(lambda: status(503, 0.0), what="unready without the broker")
    assert down["status"] == "unavailable"
    assert down["checks"]["database"] == "ok"
    assert down["checks"]["broker"].startswith("failing")
    assert (await scrape(url)).value("taskwire_dependency_up", dependency="database") == 1

    await broker.start()
    await eventually(lambda: status(200, 1.0), timeout=30, what="ready again by itself")
