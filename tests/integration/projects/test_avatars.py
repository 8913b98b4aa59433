"""A member's avatar is a web address (http:// or https://): browsers show it, so a `javascript:`
or `data:` address, whether sent in a body or carried by a token, never becomes one."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from taskwire.common.auth import mint_token
from taskwire.projects.settings import ProjectsSettings
from taskwire.testkit.users import User, Users
from tests.integration.projects.helpers import Api
from tests.support.problems import assert_problem
from tests.support.sql import fetch


async def add_bob(
    client: httpx.AsyncClient, users: Users, api: Api, avatar: str
) -> tuple[httpx.Response, User]:
    """Bob added to a new workspace of Ada's with this avatar: the response, and Bob."""
    ada, bob = users("ada"), users("bob")
    workspace = await api.workspace(ada)
    body = {"user_id": str(bob.id), "email": bob.email, "display_name": "Bob"}
    url = f"/api/v1/workspaces/{workspace['id']}/members"
    return await client.post(url, json={**body, "avatar_url": avatar}, headers=ada.auth), bob


@pytest.mark.parametrize(
    "avatar",
    [
        "javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://files.example/a.png",
        "//cdn.example/a.png",
        "https://",
        "https://cdn.example/" + "a" * 2_000,
    ],
)
async def test_a_member_with_an_avatar_that_is_not_a_web_address_is_refused(
    client: httpx.AsyncClient, users: Users, api: Api, database_url: str, avatar: str
) -> None:
    refused, bob = await add_bob(client, users, api, avatar)
    problem = assert_problem(refused, 422, "validation")
    assert [e["loc"] for e in problem["errors"]] == [["body", "avatar_url"]], problem
    assert await fetch(database_url, "SELECT 1 FROM members WHERE user_id = $1", bob.id) == []


@pytest.mark.parametrize(
    "avatar", ["https://cdn.example/u/bob.png?size=64", "http://127.0.0.1:8000/bob.png"]
)
async def test_a_member_with_a_web_avatar_keeps_it_as_sent(
    client: httpx.AsyncClient, users: Users, api: Api, avatar: str
) -> None:
    added, _ = await add_bob(client, users, api, avatar)
    assert added.status_code == 201, added.text
    assert added.json()["avatar_url"] == avatar


async def test_a_tokens_picture_that_is_not_a_web_address_is_no_avatar(
    client: httpx.AsyncClient, settings: ProjectsSettings
) -> None:
    """The owner of a new workspace gets the picture their token carries as their avatar."""
    for picture, avatar in [
        ("javascript:alert(1)", None),
        ("https://cdn.example/ada.png", "https://cdn.example/ada.png"),
    ]:
        token = mint_token(settings, uuid4(), "ada@example.test", "Ada", picture=picture)
        headers = {"Authorization": f"Bearer {token}"}
        created = await client.post("/api/v1/workspaces", json={"name": "Acme"}, headers=headers)
        assert created.status_code == 201, created.text
        members = await client.get(
            f"/api/v1/workspaces/{created.json()['id']}/members", headers=headers
        )
        assert [m["avatar_url"] for m in members.json()["items"]] == [avatar]
