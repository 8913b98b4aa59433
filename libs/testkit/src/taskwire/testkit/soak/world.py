"""The people, workspaces and projects a soak works in, made through the gateway as their
owners would make them, and ready once the tasks service knows them (its replica is filled by
the projects service's events)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from taskwire.testkit.users import User, Users
from taskwire.testkit.waiting import eventually

CONTENDED = 2  # per project


@dataclass
class Project:
    id: str
    workspace_id: str
    statuses: list[str]  # ids, board order
    contended: list[str] = field(default_factory=list)  # tasks every writer edits with If-Match


@dataclass
class Workspace:
    id: str
    owner: User
    writers: list[User]
    projects: list[Project] = field(default_factory=list)


async def _made(http: httpx.AsyncClient, user: User, path: str, body: dict[str, Any]) -> Any:
    answer = await http.post(path, json=body, headers=user.auth)
    if answer.status_code != 201:
        raise RuntimeError(f"soak setup: POST {path} answered {answer.status_code}: {answer.text}")
    return answer.json()


async def build(
    gateway: str, users: Users, rng: random.Random, workspaces: int, writers: int, projects: int
) -> list[Workspace]:
    made: list[Workspace] = []
    async with httpx.AsyncClient(base_url=f"{gateway}/api/v1", timeout=10) as http:
        for n in range(workspaces):
            owner = users(f"owner{n}")
            body = await _made(http, owner, "/workspaces", {"name": f"Soak {n}"})
            workspace = Workspace(
                body["id"], owner, [users(f"writer{n}x{w}") for w in range(writers)]
            )
            for writer in workspace.writers:
                member = {"user_id": str(writer.id), "email": writer.email,
                          "display_name": writer.name, "role": "member"}  # fmt: skip
                await _made(http, owner, f"/workspaces/{workspace.id}/members", member)
            for p in range(projects):
                key = f"S{n}P{p}{rng.randrange(100, 999)}"
                path = f"/workspaces/{workspace.id}/projects"
                project = await _made(http, owner, path, {"key": key, "name": key})
                shown = (await http.get(f"/projects/{project['id']}", headers=owner.auth)).json()
                statuses = [s["id"] for s in shown["statuses"]]
                workspace.projects.append(Project(project["id"], workspace.id, statuses))
            made.append(workspace)
        for workspace in made:
            for writer in workspace.writers:
                for project in workspace.projects:
                    await _known(http, writer, project)
            for project in workspace.projects:
                for n in range(CONTENDED):
                    path = f"/projects/{project.id}/tasks"
                    task = await _made(http, workspace.owner, path, {"title": f"contended {n}"})
                    project.contended.append(task["id"])
    return made


async def _known(http: httpx.AsyncClient, writer: User, project: Project) -> None:
    """Until the tasks service lets `writer` list the project's tasks."""

    async def lists() -> bool:
        answer = await http.get(f"/projects/{project.id}/tasks", headers=writer.auth)
        return answer.status_code == 200

    await eventually(lists, timeout=30, interval=0.1, what="the tasks service knowing the world")
