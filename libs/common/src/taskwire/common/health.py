"""`/livez` (the process answers) and `/readyz` (each dependency the service needs answers)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.common.broker import Broker

ReadinessCheck = Callable[[], Awaitable[None]]


def database_check(engine: AsyncEngine) -> ReadinessCheck:
    async def check() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return check


def broker_check(broker: Broker) -> ReadinessCheck:
    async def check() -> None:
        if not broker.is_connected:
            raise ConnectionError("not connected to the broker")

    return check


router = APIRouter(tags=["health"])

# What /readyz answers, ready or not (the notifier answers the same on its own port).
_READINESS = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["status", "checks"],
            "properties": {
                "status": {"enum": ["ok", "unavailable"]},
                "checks": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    }
}


@router.get("/livez")
async def livez() -> dict[str, str]:
    return {"status": "ok"}


async def readiness(checks: Mapping[str, ReadinessCheck]) -> tuple[bool, dict[str, str]]:
    """Run every check at once (2 s each at most): whether all answered, and each one's word."""
    results = await asyncio.gather(
        *(asyncio.wait_for(check(), timeout=2.0) for check in checks.values()),
        return_exceptions=True,
    )
    report = {
        name: "ok" if not isinstance(result, BaseException) else f"failing: {result!r}"
        for name, result in zip(checks, results, strict=True)
    }
    return all(value == "ok" for value in report.values()), report


def readiness_body(ready: bool, report: dict[str, str]) -> bytes:
    return orjson.dumps({"status": "ok" if ready else "unavailable", "checks": report})


@router.get(
    "/readyz",
    responses={
        200: {"description": "Every dependency answers", "content": _READINESS},
        503: {"description": "A dependency does not answer (see `checks`)", "content": _READINESS},
    },
)
async def readyz(request: Request) -> Response:
    ready, report = await readiness(request.app.state.readiness_checks)
    # FastAPI deprecated ORJSONResponse; a plain Response with orjson bytes keeps the speed.
    return Response(
        readiness_body(ready, report),
        status_code=200 if ready else 503,
        media_type="application/json",
    )
