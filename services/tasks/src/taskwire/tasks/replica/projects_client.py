"""Read-through: when the replica lacks what a request needs, ask the projects service. Also
the roster a repair of the replica reads (`replica.repair`).

The replica can lag a user's own previous request (a project created a moment ago, its event not
consumed yet). The projects service is asked as the caller, so it answers only what the caller
may see, and the answer is stored with the same versioned upserts the events use: whichever of
the answer and the event is newer wins, in either order. Other processes are told to forget what
they cached (a "no such project" included), as an event would.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.common.auth import Caller
from taskwire.common.errors import ServiceUnavailable
from taskwire.common.events.projects import MemberState, ProjectState
from taskwire.common.problems import NotFound
from taskwire.common.service_client import ServiceClient
from taskwire.tasks.replica import rows
from taskwire.tasks.replica.invalidation import announce, member_entry, project_entry
from taskwire.tasks.settings import TasksSettings

log = logging.getLogger(__name__)


class ProjectsClient:
    def __init__(self, settings: TasksSettings, engine: AsyncEngine) -> None:
        self._engine = engine
        self._internal = {"Authorization": f"Bearer {settings.internal_token.get_secret_value()}"}
        self._service = ServiceClient(
            "projects",
            settings.projects_url,
            timeout=settings.projects_timeout_seconds,
            attempts=settings.projects_attempts,
        )

    async def project(self, project_id: UUID, caller: Caller) -> bool:
        found = await self._get(f"/api/v1/projects/{project_id}", caller)
        if found is None:
            return False
        # A project detail lists its live statuses without their workspace: the project's.
        board = [{**s, "workspace_id": found["workspace_id"]} for s in found.get("statuses", [])]
        project = ProjectState.model_validate({**found, "statuses": board})
        async with self._engine.begin() as conn:
            if await rows.save_project(conn, project):
                await announce(conn, project_entry(project.id))
        return True

    async def member(self, workspace_id: UUID, user_id: UUID, caller: Caller) -> bool:
        found = await self._get(f"/api/v1/workspaces/{workspace_id}/members/{user_id}", caller)
        if found is None:
            return False
        member = MemberState.model_validate(found)
        async with self._engine.begin() as conn:
            if await rows.save_member(conn, member):
                await announce(conn, member_entry(member.workspace_id, member.user_id))
        return True

    async def roster(self, workspace_id: UUID) -> list[MemberState]:
        """Every member row of the workspace, removed ones too (see `replica.repair`), asked
        as this service; NotFound when the projects service has no such workspace."""
        path = f"/internal/v1/workspaces/{workspace_id}/roster"
        found: list[MemberState] = []
        params: dict[str, str] = {}
        while True:
            response = await self._service.request(
                "GET", path, headers=self._internal, params=params
            )
            if response.status_code == 404:
                raise NotFound("the projects service has no such workspace")
            if not response.is_success:
                raise ServiceUnavailable(
                    f"the projects service answered {response.status_code} to {path}"
                    " (is TASKWIRE_INTERNAL_TOKEN the same for both?)"
                )
            page = response.json()
            found.extend(MemberState.model_validate(m) for m in page["items"])
            if page["next_after"] is None:
                return found
            params = {"after": page["next_after"]}

    async def close(self) -> None:
        await self._service.close()

    async def _get(self, path: str, caller: Caller) -> dict[str, Any] | None:
        """The JSON answer; None when the projects service has nothing for this caller."""
        headers = {"Authorization": f"Bearer {caller.token}"}
        response = await self._service.request("GET", path, headers=headers)
        if response.is_client_error:
            # Not found, or not visible to this caller: the same to the request that needed it.
            if response.status_code != 404:
                log.warning("projects service answered %d to %s", response.status_code, path)
            return None
        found: dict[str, Any] = response.raise_for_status().json()
        return found
