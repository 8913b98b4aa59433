"""Bodies the service refuses before any write: malformed, mistyped, unknown fields, too large."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from taskwire.testkit.users import User, Users
from tests.integration.projects.conftest import MAX_BODY_BYTES
from tests.integration.projects.helpers import Api, row_counts
from tests.support.problems import assert_problem


@pytest.fixture
async def setup(api: Api, users: Users) -> tuple[User, str]:
    ada = users("ada")
    workspace = await api.workspace(ada)
    return ada, f"/api/v1/workspaces/{workspace['id']}/projects"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        pytest.param(b'{"key": "WEB", "name": ', "json_invalid", id="malformed"),
        pytest.param(b'[{"key": "WEB", "name": "x"}]', "model_attributes_type", id="array"),
        pytest.param(b'{"key": "WEB", "name": 5}', "string_type", id="wrong type"),
        pytest.param(b'{"key": "WEB"}', "missing", id="missing field"),
        pytest.param(b'{"key": "WEB", "name": "x", "colour": "red"}', "extra_forbidden", id="typo"),
        pytest.param(b'{"key": "WEB", "name": "   "}', "string_too_short", id="blank name"),
        pytest.param(
            b'{"key": "WEB", "name": "' + b"n" * 201 + b'"}', "string_too_long", id="long"
        ),
    ],
)
async def test_bad_bodies_answer_422_and_write_nothing(
    client: httpx.AsyncClient,
    setup: tuple[User, str],
    database_url: str,
    content: bytes,
    error: str,
) -> None:
    user, url = setup
    before = await row_counts(database_url)
    headers = user.auth | {"Content-Type": "application/json"}
    response = await client.post(url, content=content, headers=headers)
    body = assert_problem(response, 422, "validation")
    assert error in {e["type"] for e in body["errors"]}, body
    assert await row_counts(database_url) == before


async def test_a_body_over_the_limit_answers_413_with_or_without_a_length(
    client: httpx.AsyncClient, setup: tuple[User, str], database_url: str
) -> None:
    user, url = setup
    before = await row_counts(database_url)
    body = b'{"key": "WEB", "name": "x", "description": "' + b"d" * MAX_BODY_BYTES + b'"}'
    sized = await client.post(
        url, content=body, headers=user.auth | {"Content-Type": "application/json"}
    )
    assert_problem(sized, 413, "payload-too-large")

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1024):
            yield body[start : start + 1024]

    chunked = await client.post(
        url, content=chunks(), headers=user.auth | {"Content-Type": "application/json"}
    )
    assert "content-length" not in chunked.request.headers
    assert_problem(chunked, 413, "payload-too-large")
    assert await row_counts(database_url) == before


async def test_path_ids_must_be_uuids(client: httpx.AsyncClient, users: Users) -> None:
    response = await client.get("/api/v1/projects/42", headers=users().auth)
    assert_problem(response, 422, "validation")


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/workspaces", {"name": "Acme", "slug": "Not A Slug"}),
        ("/workspaces", {"name": "x" * 201}),
        ("/workspaces", {"name": "Acme", "owner": "me"}),
    ],
)
async def test_workspace_bodies_are_validated(
    client: httpx.AsyncClient, users: Users, url: str, body: dict[str, Any]
) -> None:
    response = await client.post(f"/api/v1{url}", json=body, headers=users().auth)
    assert_problem(response, 422, "validation")


async def test_a_body_that_is_not_utf8_answers_400_as_documented(
    client: httpx.AsyncClient, setup: tuple[User, str], database_url: str
) -> None:
    """Found by the fuzzer: undecodable bytes are refused before validation, with a status the
    document did not declare until then."""
    user, url = setup
    before = await row_counts(database_url)
    headers = user.auth | {"Content-Type": "application/json"}
    response = await client.post(url, content=b'{"name": "\xc3\x28"}', headers=headers)
    assert_problem(response, 400, "bad-request")
    assert await row_counts(database_url) == before
