"""The replica's starting state, written straight into a test's tasks database.

The replica is normally filled by the projects service's events; seeding it directly keeps the
API tests independent of that service (the replica tests cover the events themselves).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import asyncpg

from taskwire.common.db import asyncpg_dsn
from taskwire.common.events.projects import Category, Role
from taskwire.common.ids import new_id
from taskwire.testkit.users import User

DEFAULT_BOARD = (
    ("Todo", Category.TODO),
    ("In Progress", Category.IN_PROGRESS),
    ("In Review", Category.IN_REVIEW),
    ("Issue", Category.ISSUE),
    ("Done", Category.DONE),
)


@dataclass
class SeededProject:
    id: UUID
    workspace_id: UUID
    key: str
    statuses: dict[Category, UUID] = field(default_factory=dict)

    @property
    def todo(self) -> UUID:
        return self.statuses[Category.TODO]

    @property
    def done(self) -> UUID:
        return self.statuses[Category.DONE]


class Seed:
    def __init__(self, database_url: str) -> None:
        self.dsn = asyncpg_dsn(database_url)

    async def workspace(self, owner: User, *members: tuple[User, Role]) -> UUID:
        workspace_id = new_id()
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute(
                "INSERT INTO workspaces (id, name, slug, version) VALUES ($1, 'Acme', $2, 1)",
                workspace_id,
                f"acme-{workspace_id.hex[-8:]}",
            )
        finally:
            await conn.close()
        await self.member(workspace_id, owner, Role.OWNER)
        for user, role in members:
            await self.member(workspace_id, user, role)
        return workspace_id

    async def member(
        self, workspace_id: UUID, user: User, role: Role, *, removed: bool = False, version: int = 1
    ) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute(
                """
                INSERT INTO members (workspace_id, user_id, email, display_name, avatar_url,
                                     role, removed, version)
                VALUES ($1, $2, $3, $4, NULL, $5, $6, $7)
                ON CONFLICT (workspace_id, user_id) DO UPDATE
                SET role = excluded.role, removed = excluded.removed, version = excluded.version
                """,
                workspace_id,
                user.id,
                user.email,
                user.name,
                role.value,
                removed,
                version,
            )
        finally:
            await conn.close()

    async def project(self, workspace_id: UUID, key: str = "WEB") -> SeededProject:
        project = SeededProject(new_id(), workspace_id, key)
        conn = await asyncpg.connect(self.dsn)
        try:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO projects (id, workspace_id, key, name, version) "
                    "VALUES ($1, $2, $3, $4, 1)",
                    project.id,
                    workspace_id,
                    key,
                    f"Project {key}",
                )
                for position, (name, category) in enumerate(DEFAULT_BOARD):
                    status_id = new_id()
                    project.statuses[category] = status_id
                    await conn.execute(
                        "INSERT INTO statuses (id, project_id, workspace_id, name, category, "
                        "position, version) VALUES ($1, $2, $3, $4, $5, $6, 1)",
                        status_id,
                        project.id,
                        workspace_id,
                        name,
                        category.value,
                        position,
                    )
        finally:
            await conn.close()
        return project
