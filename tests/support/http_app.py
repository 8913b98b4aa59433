"""An app of the shared HTTP pieces, installed the way ServiceRuntime.install does (problem
handlers, the body size limit, the health routes, the caller's token), with routes that exercise
them; and clients of such apps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from taskwire.common.auth import CallerDep, TokenVerifier
from taskwire.common.errors import (
    BodySizeLimit,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Problem,
    ServiceUnavailable,
    TooManyRequests,
    install_problem_handlers,
)
from taskwire.common.health import ReadinessCheck
from taskwire.common.health import router as health_router
from taskwire.common.settings import DatabaseSettings

LIMIT = 2048
PROBLEMS: dict[str, type[Problem]] = {
    "forbidden": Forbidden,
    "conflict": Conflict,
    "precondition-failed": PreconditionFailed,
    "not-found": NotFound,
    "too-many-requests": TooManyRequests,
    "unavailable": ServiceUnavailable,
}


class ThingCreate(BaseModel):
    name: str
    size: int


def build_app(checks: dict[str, ReadinessCheck]) -> FastAPI:
    """The shared HTTP pieces, answering `checks` on /readyz."""
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=LIMIT)
    app.include_router(health_router)
    app.state.token_verifier = TokenVerifier(DatabaseSettings())
    app.state.readiness_checks = checks

    @app.post("/things", status_code=201)
    async def create_thing(thing: ThingCreate) -> ThingCreate:
        return thing

    @app.get("/problems/{slug}")
    async def problem(slug: str) -> None:
        raise PROBLEMS[slug]("it went wrong", hint="extension member")

    @app.get("/me")
    async def me(caller: CallerDep) -> dict[str, str]:
        return {"user_id": str(caller.user_id)}

    return app


@asynccontextmanager
async def clients_of_apps() -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """`make(checks)` answers a client of a new app with those readiness checks; every client
    made is closed on the way out."""
    clients: list[httpx.AsyncClient] = []

    def make(checks: dict[str, ReadinessCheck] | None = None) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=build_app(checks or {}))
        client = httpx.AsyncClient(transport=transport, base_url="http://test")
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            await client.aclose()
