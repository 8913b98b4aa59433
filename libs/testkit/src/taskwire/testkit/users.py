"""Users with development tokens, for any caller of a service: a test, a benchmark."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from taskwire.common.auth import mint_token
from taskwire.common.ids import new_id
from taskwire.common.settings import ServiceSettings


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
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings

    def __call__(self, name: str = "ada") -> User:
        user_id = new_id()
        email = f"{name}.{user_id.hex[-6:]}@example.test"
        token = mint_token(self.settings, user_id, email, name.title())
        return User(user_id, email, name.title(), token)
