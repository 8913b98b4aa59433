"""Users with development tokens, and the problem+json assertion every API test uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx

from taskwire.common.auth import mint_token
from taskwire.common.ids import new_id
from taskwire.common.settings import CommonSettings


@dataclass(frozen=True)
class User:
    id: UUID
    email: str
    name: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Users:
    def __init__(self, settings: CommonSettings) -> None:
        self.settings = settings

    def __call__(self, name: str = "ada") -> User:
        user_id = new_id()
        email = f"{name}.{user_id.hex[-6:]}@example.test"
        token = mint_token(self.settings, user_id, email, name.title())
        return User(user_id, email, name.title(), token)


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == f"urn:taskwire:problem:{slug}", body
    return body
