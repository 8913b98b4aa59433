"""Who may call what: bad tokens answer 401, strangers 404, low roles 403; nothing is written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from pydantic import SecretStr

from taskwire.common.auth import mint_token
from taskwire.projects.settings import ProjectsSettings
from taskwire.testkit.users import User, Users
from tests.integration.projects.helpers import Api, row_counts
from tests.support.bus import Bus
from tests.support.problems import assert_problem

FORGED_SECRET = "someone-else's-secret-that-is-long-enough-0123456789"


def _bad_tokens(settings: ProjectsSettings, user: User) -> dict[str, str]:
    def mint(**changes: Any) -> str:
        return mint_token(settings.model_copy(update=changes), user.id, user.email, user.name)

    unsigned = jwt.encode(
        {"sub": str(user.id), "email": user.email, "aud": "taskwire", "iss": "taskwire"},
        key="",
        algorithm="none",
    )
    expired = mint_token(settings, user.id, user.email, user.name, ttl=timedelta(minutes=-5))
    return {
        "no header": "",
        "not bearer": f"Basic {user.token}",
        "garbage": "Bearer not-a-jwt",
        "expired": f"Bearer {expired}",
        "forged": f"Bearer {mint(jwt_secret=SecretStr(FORGED_SECRET))}",
        "wrong audience": f"Bearer {mint(jwt_audience='another-app')}",
        "wrong issuer": f"Bearer {mint(jwt_issuer='someone-else')}",
        "alg none": f"Bearer {unsigned}",
    }


async def test_bad_tokens_answer_401_and_write_nothing(
    client: httpx.AsyncClient,
    users: Users,
    api: Api,
    settings: ProjectsSettings,
    database_url: str,
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    before = await row_counts(database_url)
    url = f"/api/v1/workspaces/{workspace['id']}/projects"
    for case, header in _bad_tokens(settings, ada).items():
        headers = {"Authorization": header} if header else {}
        created = await client.post(url, json={"key": "WEB", "name": "x"}, headers=headers)
        assert_problem(created, 401, "unauthenticated")
        assert created.headers["www-authenticate"] == "Bearer", case
        listed = await client.get("/api/v1/workspaces", headers=headers)
        assert_problem(listed, 401, "unauthenticated")
    assert await row_counts(database_url) == before


async def test_a_bad_token_wins_over_a_bad_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/workspaces", json={"nom": 1})
    assert_problem(response, 401, "unauthenticated")


@pytest.fixture
async def scene(api: Api, users: Users, bus: Bus) -> dict[str, Any]:
    """Ada's workspace with a project, a viewer and two members; Eve owns another workspace."""
    ada, viewer, member, eve = users("ada"), users("viewer"), users("member"), users("eve")
    target = users("target")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, viewer, role="viewer")
    await api.member(ada, workspace, member, role="member")
    await api.member(ada, workspace, target, role="member")
    project = await api.project(ada, workspace)
    own = await api.workspace(eve, "Eve's")
    await bus.drain()
    return {
        "ada": ada, "viewer": viewer, "member": member, "eve": eve, "target": target,
        "workspace": workspace, "project": project, "own": own,
    }  # fmt: skip


def _calls(s: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every route but the two lists of one's own, with a well-formed request for it."""
    w, p = s["workspace"]["id"], s["project"]["id"]
    todo, done = s["project"]["statuses"][0]["id"], s["project"]["statuses"][4]["id"]
    member = s["target"].id
    return [
        ("GET", f"/workspaces/{w}", {}),
        ("PATCH", f"/workspaces/{w}", {"json": {"name": "Mine"}}),
        ("GET", f"/workspaces/{w}/members", {}),
        ("POST", f"/workspaces/{w}/members", {"json": {
            "user_id": str(s["eve"].id), "email": "e@example.test", "display_name": "E"}}),
        ("PATCH", f"/workspaces/{w}/members/{member}", {"json": {"role": "viewer"}}),
        ("DELETE", f"/workspaces/{w}/members/{member}", {}),
        ("GET", f"/workspaces/{w}/projects", {}),
        ("POST", f"/workspaces/{w}/projects", {"json": {"key": "EVE", "name": "Eve"}}),
        ("GET", f"/projects/{p}", {}),
        ("PATCH", f"/projects/{p}", {"json": {"name": "Eve"}}),
        ("POST", f"/projects/{p}/archive", {}),
        ("POST", f"/projects/{p}/restore", {}),
        ("DELETE", f"/projects/{p}", {}),
        ("GET", f"/projects/{p}/statuses", {}),
        ("POST", f"/projects/{p}/statuses", {"json": {"name": "Eve", "category": "todo"}}),
        ("PATCH", f"/statuses/{todo}", {"json": {"name": "Eve"}}),
        ("DELETE", f"/statuses/{todo}", {"params": {"move_to": done}}),
    ]  # fmt: skip


async def test_a_stranger_gets_404_from_every_route_and_changes_nothing(
    client: httpx.AsyncClient, scene: dict[str, Any], bus: Bus, database_url: str
) -> None:
    before = await row_counts(database_url)
    for method, url, kwargs in _calls(scene):
        response = await client.request(
            method, f"/api/v1{url}", headers=scene["eve"].auth, **kwargs
        )
        assert_problem(response, 404, "not-found")
    await bus.quiet()
    assert await row_counts(database_url) == before


async def test_low_roles_get_403_from_the_routes_above_them(
    client: httpx.AsyncClient, scene: dict[str, Any], bus: Bus, database_url: str
) -> None:
    before = await row_counts(database_url)
    writes = [call for call in _calls(scene) if call[0] != "GET"]
    for who in ("viewer", "member"):
        for method, url, kwargs in writes:
            response = await client.request(
                method, f"/api/v1{url}", headers=scene[who].auth, **kwargs
            )
            assert_problem(response, 403, "forbidden")
    await bus.quiet()
    assert await row_counts(database_url) == before
    for method, url, _ in _calls(scene):
        if method == "GET":
            response = await client.request(method, f"/api/v1{url}", headers=scene["viewer"].auth)
            assert response.status_code == 200, (url, response.text)
