"""Signing in during development (`POST /api/v1/dev/tokens`): a token the services verify, one
user per email, bodies checked, and no such route anywhere else. The app is never started: the
route touches no database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
import jwt
import pytest

from taskwire.common.auth import TokenVerifier
from taskwire.projects.app import create_app
from taskwire.projects.settings import ProjectsSettings
from tests.support.problems import assert_problem

URL = "/api/v1/dev/tokens"
DEVELOPMENT = ProjectsSettings(environment="development")
SECRETS: dict[str, Any] = {"jwt_secret": "s" * 32, "internal_token": "t" * 32}


@asynccontextmanager
async def client_of(settings: ProjectsSettings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://projects") as client:
        yield client


async def sign_in(client: httpx.AsyncClient, email: str, name: str = "Ada") -> dict[str, Any]:
    response = await client.post(URL, json={"email": email, "display_name": name})
    assert response.status_code == 201, response.text
    minted: dict[str, Any] = response.json()
    return minted


async def test_the_token_is_one_the_services_accept() -> None:
    async with client_of(DEVELOPMENT) as client:
        minted = await sign_in(client, "ada@example.test", "Ada Lovelace")
    assert set(minted) == {"token", "user_id", "expires_at"}
    caller = await TokenVerifier(DEVELOPMENT).verify(minted["token"])
    assert (caller.user_id, caller.email, caller.name) == (
        UUID(minted["user_id"]),
        "ada@example.test",
        "Ada Lovelace",
    )
    claims = jwt.decode(minted["token"], options={"verify_signature": False})
    assert datetime.fromisoformat(minted["expires_at"]).timestamp() == claims["exp"]
    assert claims["exp"] - claims["iat"] == 12 * 3600  # as long as taskwire-token's


async def test_an_email_is_the_same_user_at_every_sign_in() -> None:
    async with client_of(DEVELOPMENT) as client:
        first = await sign_in(client, "ada@example.test")
        again = await sign_in(client, "Ada@Example.TEST", "Another name")
        other = await sign_in(client, "bob@example.test")
    assert first["user_id"] == again["user_id"] != other["user_id"]
    assert first["token"] != other["token"]


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ada@example.test"},
        {"display_name": "Ada"},
        {"email": "not an email", "display_name": "Ada"},
        {"email": "ada@example.test", "display_name": ""},
        {"email": "ada@example.test", "display_name": "   "},
        {"email": "ada@example.test", "display_name": "x" * 101},
        {"email": "ada@example.test", "display_name": "Ada", "role": "owner"},
        {"email": "ada@example.test", "display_name": "A\x00da"},
        ["ada@example.test"],
    ],
)
async def test_a_bad_body_is_a_validation_problem(body: Any) -> None:
    async with client_of(DEVELOPMENT) as client:
        assert_problem(await client.post(URL, json=body), 422, "validation")


@pytest.mark.parametrize(
    ("content", "status", "slug"), [(b"{", 422, "validation"), (b"\xff", 400, "bad-request")]
)
async def test_a_body_that_is_not_json_is_a_problem(content: bytes, status: int, slug: str) -> None:
    async with client_of(DEVELOPMENT) as client:
        headers = {"content-type": "application/json"}
        assert_problem(await client.post(URL, content=content, headers=headers), status, slug)


@pytest.mark.parametrize(
    "settings",
    [
        ProjectsSettings(environment="production", **SECRETS),
        ProjectsSettings(environment="test", **SECRETS),
        # Development signed by an identity provider's keys: no token minted here would verify.
        ProjectsSettings(
            environment="development", jwt_algorithm="RS256", jwks_url="http://idp/jwks"
        ),
    ],
    ids=["production", "test", "development-rs256"],
)
async def test_elsewhere_the_route_is_unknown(settings: ProjectsSettings) -> None:
    async with client_of(settings) as client:
        response = await client.post(URL, json={"email": "a@b.test", "display_name": "A"})
        assert_problem(response, 404, "not-found")
        document = (await client.get("/openapi.json")).json()
    assert URL not in document["paths"]
