"""problem+json for every error, the body size limit, and the client mutation id's rule."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from uuid import uuid4

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from taskwire.common.auth import mint_token
from taskwire.common.errors import PROBLEM_JSON, BadRequest, BodySizeLimit
from taskwire.common.http import client_mutation_id
from taskwire.common.settings import DatabaseSettings
from tests.support.http_app import LIMIT, PROBLEMS, clients_of_apps


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    async with clients_of_apps() as make:
        yield make


def problem_of(response: httpx.Response, status: int, slug: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, object] = response.json()
    assert body["type"] == f"urn:taskwire:problem:{slug}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


async def test_unknown_route_and_wrong_method(client_for: Callable[..., httpx.AsyncClient]) -> None:
    client = client_for()
    problem_of(await client.get("/nowhere"), 404, "not-found")
    response = await client.delete("/things")
    problem_of(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"


async def test_validation_lists_every_error(client_for: Callable[..., httpx.AsyncClient]) -> None:
    response = await client_for().post("/things", json={"size": "big"})
    body = problem_of(response, 422, "validation")
    errors = body["errors"]
    assert isinstance(errors, list)
    assert {tuple(e["loc"]) for e in errors} == {("body", "name"), ("body", "size")}
    bad_json = await client_for().post(
        "/things", content=b"{", headers={"content-type": "application/json"}
    )
    problem_of(bad_json, 422, "validation")


@pytest.mark.parametrize(("slug", "status"), [(s, p.status) for s, p in PROBLEMS.items()])
async def test_problems_answer_their_status_and_type(
    client_for: Callable[..., httpx.AsyncClient], slug: str, status: int
) -> None:
    response = await client_for().get(f"/problems/{slug}")
    body = problem_of(response, status, slug)
    assert body["hint"] == "extension member"
    assert body["instance"] == f"/problems/{slug}"
    # Busy or away: the client is told when to come back.
    assert response.headers.get("retry-after") == ("1" if status in (429, 503) else None)


async def test_unauthenticated_asks_for_a_bearer_token(
    client_for: Callable[..., httpx.AsyncClient],
) -> None:
    client = client_for()
    for headers in ({}, {"authorization": "Basic abc"}, {"authorization": "Bearer x.y.z"}):
        response = await client.get("/me", headers=headers)
        problem_of(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"
    token = mint_token(DatabaseSettings(), uuid4(), "a@b.test", "A")
    assert (await client.get("/me", headers={"authorization": f"Bearer {token}"})).is_success


async def test_a_body_over_the_limit_is_refused(
    client_for: Callable[..., httpx.AsyncClient],
) -> None:
    client = client_for()
    small = {"name": "x", "size": 1}
    assert (await client.post("/things", json=small)).status_code == 201
    big = b'{"name": "' + b"x" * LIMIT + b'", "size": 1}'
    declared = await client.post(
        "/things", content=big, headers={"content-type": "application/json"}
    )
    problem_of(declared, 413, "payload-too-large")

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 256):
            yield big[start : start + 256]

    chunked = await client.post(
        "/things", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in chunked.request.headers
    problem_of(chunked, 413, "payload-too-large")


async def test_the_limit_also_guards_an_app_without_problem_handlers() -> None:
    async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read it all"})

    transport = httpx.ASGITransport(app=BodySizeLimit(raw_app, max_bytes=LIMIT))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(LIMIT // 100 + 2):
                yield b"x" * 100

        problem_of(await client.post("/raw", content=chunks()), 413, "payload-too-large")
        assert (await client.post("/raw", content=b"small")).text == "read it all"


@pytest.mark.parametrize("value", ["a", "tab-1:42", "A.b_c-D:9", "x" * 64])
async def test_a_client_mutation_id_is_taken_as_sent(value: str) -> None:
    assert await client_mutation_id(value) == value
    assert await client_mutation_id(None) is None


@pytest.mark.parametrize("value", ["", "x" * 65, "a b", "a/b", "é", "a\n", "a,b"])
async def test_a_malformed_client_mutation_id_is_a_bad_request(value: str) -> None:
    with pytest.raises(BadRequest, match="X-Client-Mutation-Id"):
        await client_mutation_id(value)
