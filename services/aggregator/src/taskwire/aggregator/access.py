"""Who may read a project's counts: whoever may read the project, as the projects service says.

The aggregator keeps no memberships; it asks the projects service as the caller (a 404 there is
a 404 here, across workspaces too) and remembers a yes in Redis for a few seconds, so a board
polling its counts does not ask every time. Without Redis it asks every time.
"""

from __future__ import annotations

from uuid import UUID

from taskwire.aggregator.cache import BestEffortRedis
from taskwire.common.auth import Caller
from taskwire.common.errors import NotFound, ServiceUnavailable, Unauthenticated
from taskwire.common.service_client import ServiceClient


class ProjectReaders:
    def __init__(
        self, projects: ServiceClient, store: BestEffortRedis, prefix: str, ttl_seconds: int
    ) -> None:
        self._projects = projects
        self._redis = store
        self._prefix = f"{prefix}aggregator:reader:"
        self._ttl = ttl_seconds

    async def check(self, caller: Caller, project_id: UUID) -> None:
        """Return if the caller may read the project; else NotFound (or Unauthenticated)."""
        key = f"{self._prefix}{project_id}:{caller.user_id}"
        if self._ttl and await self._redis.attempt(lambda: self._redis.client.exists(key)):
            return
        response = await self._projects.request(
            "GET",
            f"/api/v1/projects/{project_id}",
            headers={"Authorization": f"Bearer {caller.token}"},
        )
        if response.status_code == 401:
            raise Unauthenticated("the projects service did not accept this token")
        if response.is_client_error:
            raise NotFound("project not found", project_id=str(project_id))
        if not response.is_success:
            raise ServiceUnavailable("the projects service gave no answer; try again shortly")
        if self._ttl:
            await self._redis.attempt(lambda: self._redis.client.set(key, b"1", ex=self._ttl))
