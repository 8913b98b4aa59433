"""The health endpoints: /livez answers while the process runs, /readyz says which of its
dependencies (a real database and broker here) fails."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from taskwire.common.broker import Broker
from taskwire.common.health import broker_check, database_check
from tests.support.http_app import clients_of_apps


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    async with clients_of_apps() as make:
        yield make


async def test_livez_and_readyz(
    client_for: Callable[..., httpx.AsyncClient],
    empty_database: str,
    make_broker: Callable[..., Broker],
) -> None:
    engine = create_async_engine(empty_database)
    missing = create_async_engine(empty_database + "_missing")
    broker = make_broker()
    try:
        await broker.wait_connected(timeout=10)
        healthy = client_for({"database": database_check(engine), "broker": broker_check(broker)})
        assert (await healthy.get("/livez")).json() == {"status": "ok"}
        ready = await healthy.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}

        failing = client_for({"database": database_check(missing), "broker": broker_check(broker)})
        assert (await failing.get("/livez")).status_code == 200
        response = await failing.get("/readyz")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["broker"] == "ok"
        assert checks["database"].startswith("failing:")
        assert "_missing" in checks["database"]
    finally:
        await engine.dispose()
        await missing.dispose()
