"""The gateway's own limits, set low here to be met: each caller's rate (by token, else by
address) and each address's WebSocket upgrades, answered 429 problem+json with Retry-After,
while another caller goes on unharmed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aio_pika.abc import AbstractRobustConnection
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from taskwire.common.settings import DatabaseSettings
from taskwire.testkit.gateway import bare_get, behind_gateway
from taskwire.testkit.infra import Infra
from taskwire.testkit.running import run_environment
from taskwire.testkit.users import Users

LIMITS = {
    "TASKWIRE_GATEWAY_RATE_PER_CALLER": "5",
    "TASKWIRE_GATEWAY_BURST_PER_CALLER": "10",
    "TASKWIRE_GATEWAY_WS_UPGRADES_PER_ADDRESS": "1",
    "TASKWIRE_GATEWAY_WS_UPGRADE_BURST": "3",
}


@pytest.fixture
async def gateway(
    infra: Infra, unique: str, exchange_names: tuple[str, str], amqp: AbstractRobustConnection
) -> AsyncIterator[str]:
    async with run_environment(infra, unique, exchange_names, amqp) as env:
        limited = env | LIMITS
        async with behind_gateway(limited) as url:
            yield url


async def test_a_caller_over_its_rate_is_told_when_to_retry_and_others_are_not(
    gateway: str,
) -> None:
    users = Users(DatabaseSettings(environment="development"))
    flooder, neighbour = users("flooder"), users("neighbour")
    answers = await asyncio.gather(
        *(bare_get(gateway, "/api/v1/workspaces", flooder.auth) for _ in range(40))
    )
    statuses = [status for status, _ in answers]
    assert statuses.count(200) <= 12, statuses  # the burst, and what the rate refilled
    assert statuses.count(429) >= 28, statuses
    for status, headers in answers:
        if status == 429:
            assert headers["retry-after"] == "1"
            assert headers["content-type"] == "application/problem+json"
    status, _ = await bare_get(gateway, "/api/v1/workspaces", neighbour.auth)
    assert status == 200
    # Probes are never limited.
    assert {(await bare_get(gateway, "/livez", {}))[0] for _ in range(20)} == {200}


async def test_websocket_upgrades_are_limited_per_address(gateway: str) -> None:
    refusals: list[InvalidStatus] = []
    for _ in range(10):
        try:
            async with connect(gateway.replace("http", "ws") + "/ws"):
                pass
        except InvalidStatus as refused:
            refusals.append(refused)
    assert len(refusals) >= 5
    assert {(r.response.status_code, r.response.headers["Retry-After"]) for r in refusals} == {
        (429, "1")
    }
