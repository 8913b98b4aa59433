"""Who may read a project's counts: whoever may read the project, as the projects service says.

The aggregator keeps no memberships; it asks the projects service as the caller (a 404 there is
a 404 here, across workspaces too) and remembers a yes in Redis for a few seconds
(taskwire.common.projects_access), so a board polling its counts does not ask every time.
Without Redis it asks every time.
"""

from __future__ import annotations

from uuid import UUID

from taskwire.common.auth import Caller
from taskwire.common.errors import NotFound, ServiceUnavailable, Unauthenticated
from taskwire.common.projects_access import ProjectsAccess, RedisCalls, Refused
from taskwire.common.service_client import ServiceClient


class ProjectReaders:
    def __init__(
        self, projects: ServiceClient, store: RedisCalls, prefix: str, ttl_seconds: int
    ) -> None:
        self._access = ProjectsAccess(projects, store, ttl_seconds)
        self._prefix = f"{prefix}aggregator:reader:"

    async def check(self, caller: Caller, project_id: UUID) -> None:
        """Return if the caller may read the project; else NotFound (or Unauthenticated)."""
        key = f"{self._prefix}{project_id}:{caller.user_id}"
        try:
            await self._access.check(caller, f"/api/v1/projects/{project_id}", key)
        except Refused as refused:
            if refused.status_code == 401:
                raise Unauthenticated("the projects service did not accept this token") from None
            if 400 <= refused.status_code < 500:
                raise NotFound("project not found", project_id=str(project_id)) from None
            raise ServiceUnavailable(
                "the projects service gave no answer; try again shortly"
            ) from None
