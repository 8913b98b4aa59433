"""Problems whose extensions share a name with a parameter, and unexpected failures."""

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from taskwire.common.containment import ContainErrors
from taskwire.common.errors import PROBLEM_JSON, Conflict, install_problem_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(ContainErrors)

    @app.get("/clash")
    async def clash() -> None:
        raise Conflict("slug taken", slug="web", headers="kept as data")

    @app.get("/starting-up")
    async def starting_up() -> None:
        # What SQLAlchemy's asyncpg dialect raises when Postgres refuses a new session while it
        # starts or stops: its own error, translated, with the driver's as the cause.
        driver = asyncpg.CannotConnectNowError("the database system is starting up")
        translated = Exception("SQLSTATE 57P03")
        translated.__cause__ = driver
        raise DBAPIError(None, None, translated) from translated

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


async def test_a_database_that_will_not_open_a_session_is_unavailable_not_a_fault() -> None:
    response = await _get("/starting-up")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "database connection was lost" in response.json()["detail"]
