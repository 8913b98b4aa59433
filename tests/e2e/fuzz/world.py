"""What the fuzzer's requests name: real entities made through REST before it starts, so a
generated request reaches the rules behind a route rather than stopping at 404.

Routes that destroy get entities of their own (`spare_*`): what they delete early in the run
must not turn every later request into a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taskwire.common.settings import DEVELOPMENT_INTERNAL_TOKEN, DatabaseSettings
from taskwire.testkit.users import User, Users
from taskwire.testkit.waiting import eventually
from tests.support.system import System


@dataclass(frozen=True)
class World:
    owner: User
    member: User
    spare_member: User
    workspace_id: str
    project_id: str
    status_ids: list[str]
    spare_project_id: str
    spare_status_id: str
    task_ids: list[str]
    spare_task_id: str
    internal_token: str = DEVELOPMENT_INTERNAL_TOKEN


async def make_world(system: System) -> World:
    users = Users(DatabaseSettings(environment="development"))  # the services' token settings
    owner, member, spare = users("owner"), users("member"), users("spare")
    workspace, project = await system.workspace_and_project(owner)
    ws = workspace["id"]
    for user in (member, spare):
        body = {"user_id": str(user.id), "email": user.email, "display_name": user.name}
        await system.ok(system.projects, "POST", f"/workspaces/{ws}/members", owner, body)
    path = f"/workspaces/{ws}/projects"
    spare_project = await system.ok(
        system.projects, "POST", path, owner, {"key": "OLD", "name": "Old"}
    )
    statuses = f"/projects/{project['id']}/statuses"
    spare_status = await system.ok(
        system.projects, "POST", statuses, owner, {"name": "Spare", "category": "todo"}
    )
    tasks = [await _task(system, owner, project["id"], title) for title in ("One", "Two", "Three")]
    spare_task = await _task(system, owner, project["id"], "Spare")
    return World(
        owner=owner,
        member=member,
        spare_member=spare,
        workspace_id=ws,
        project_id=project["id"],
        status_ids=[status["id"] for status in project["statuses"]],
        spare_project_id=spare_project["id"],
        spare_status_id=spare_status["id"],
        task_ids=[task["id"] for task in tasks],
        spare_task_id=spare_task["id"],
    )


async def _task(system: System, owner: User, project_id: str, title: str) -> Any:
    async def created() -> Any:
        # The tasks service may not know of the project yet: its replica follows events.
        response = await system.call(
            system.tasks, "POST", f"/projects/{project_id}/tasks", owner, {"title": title}
        )
        return response.json() if response.status_code == 201 else None

    return await eventually(created, timeout=20, interval=0.1, what=f"task {title!r} created")
