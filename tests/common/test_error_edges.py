"""Problems whose extensions share a name with a parameter, unexpected failures, odd UUIDs."""

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from taskwire.common.containment import ContainErrors
from taskwire.common.db import asyncpg_dsn
from taskwire.common.errors import PROBLEM_JSON, Conflict, install_problem_handlers
from taskwire.common.events import Subject, decode, encode, new_event
from taskwire.testkit.infra import Infra


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(ContainErrors)

    @app.get("/clash")
    async def clash() -> None:
        raise Conflict("slug taken", slug="web", headers="kept as data")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return app


async def _get(path: str) -> httpx.Response:
    # Raised app exceptions would fail the call: an answered error must go no further, or the
    # server closes the connection under the next request (uvicorn does when an app raises).
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path)


async def test_extensions_named_like_parameters_are_plain_members() -> None:
    response = await _get("/clash")
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "urn:taskwire:problem:conflict"
    assert (body["slug"], body["headers"]) == ("web", "kept as data")


def test_extensions_cannot_redefine_rfc_members() -> None:
    with pytest.raises(ValueError, match="type"):
        Conflict("x", type="about:blank")


async def test_an_unexpected_error_is_a_problem_without_internals() -> None:
    response = await _get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == "urn:taskwire:problem:internal"
    assert "secret" not in response.text


class _Row(BaseModel):
    id: object


async def test_events_encode_uuids_as_asyncpg_returns_them(infra: Infra) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(infra.postgres_admin_url))
    try:
        row_id = await conn.fetchval("SELECT gen_random_uuid()")
    finally:
        await conn.close()
    assert type(row_id).__module__.startswith("asyncpg")
    event = new_event(
        "thing.created",
        producer="t",
        subject=Subject(kind="thing", id=row_id, version=1),
        data=_Row(id=row_id),
    )
    assert decode(encode(event)).data == {"id": str(row_id)}
