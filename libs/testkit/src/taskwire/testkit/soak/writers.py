"""The writing clients: each person creates, edits, moves, archives, restores and deletes tasks
it alone writes (so what its acknowledged writes imply is exact), and races the others on a few
shared tasks with `If-Match`. Every write carries the version it read; a write whose answer
never came is settled by reading the task again before the next one."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from taskwire.testkit.soak.calls import Caller
from taskwire.testkit.soak.races import Races
from taskwire.testkit.soak.world import Project


@dataclass
class Owned:
    """A task as its one writer's acknowledged writes leave it."""

    id: str
    project: Project
    title: str
    status_id: str
    archived: bool = False
    deleted: bool = False
    version: int = 1
    unsettled: bool = False  # a write's answer never came: read it again before trusting this
    frozen: bool = False  # the services move it on their own (its status deleted): read at the end
    trail: list[str] = field(default_factory=list)  # what it was told, for a violation's report

    def took(self, answer: dict[str, Any], why: str) -> None:
        self.trail.append(f"{why}: v{answer['version']} in {answer['status_id'][-6:]}")
        self.title, self.status_id = answer["title"], answer["status_id"]
        self.archived, self.version = answer["archived_at"] is not None, answer["version"]
        self.unsettled = False


@dataclass
class Writer:
    name: str
    caller: Caller
    projects: list[Project]
    rng: random.Random
    races: Races
    extra: dict[str, list[str]] = field(default_factory=dict)  # project -> its own statuses
    assignee: str | None = None  # whom its creates are assigned to (their user room hears them)
    owned: dict[str, Owned] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> title
    bulks: dict[str, int] = field(default_factory=dict)  # unanswered bulk's title prefix -> size

    async def run(self, stop: asyncio.Event, pause: float) -> None:
        while not stop.is_set():
            await self.step()
            await asyncio.sleep(pause * self.rng.random() * 2)

    async def step(self) -> None:
        live = [t for t in self.owned.values() if not t.deleted and not t.frozen]
        roll = self.rng.random()
        if roll < 0.35 or not live:
            return await self.create()
        if roll < 0.40:
            return await self.bulk()
        if roll < 0.45:
            project = self.rng.choice(self.projects)
            task_id = self.rng.choice(project.contended)
            return await self.races.race(self.caller, task_id, self.name, self.rng)
        task = self.rng.choice(live)
        if task.unsettled and not await self.settle(task):
            return None
        if roll < 0.60:
            return await self.change(task, "edit", "PATCH", "", {"title": self._title()})
        if roll < 0.82:
            target = {"status_id": self.rng.choice(self._statuses(task.project))}
            return await self.change(task, "move", "POST", "/move", target)
        if roll < 0.95:
            kind = "restore" if task.archived else "archive"
            return await self.change(task, kind, "POST", f"/{kind}", None)
        return await self.change(task, "delete", "DELETE", "", None)

    def _statuses(self, project: Project) -> list[str]:
        return project.statuses + self.extra.get(project.id, [])

    def _title(self) -> str:
        return f"{self.name} {uuid.uuid4().hex[:12]}"

    async def create(self) -> None:
        project = self.rng.choice(self.projects)
        key, title = str(uuid.uuid4()), self._title()
        self.keys[key] = title
        body = {"title": title, "status_id": self.rng.choice(self._statuses(project))}
        if self.assignee is not None:
            body["assignee_id"] = self.assignee
        answer = await self.caller.call(
            "create", "POST", f"/projects/{project.id}/tasks", body=body,
            headers={"Idempotency-Key": key},
        )  # fmt: skip
        if answer is not None and answer.status_code == 201:
            made = answer.json()
            self.owned[made["id"]] = Owned(made["id"], project, title, made["status_id"])
            self.owned[made["id"]].took(made, "created")

    async def bulk(self) -> None:
        """An import has no key: tried once, and one never answered is found by its titles."""
        project = self.rng.choice(self.projects)
        prefix = self._title()
        size = self.rng.randint(2, 5)
        body = {"tasks": [{"title": f"{prefix} #{n}"} for n in range(size)]}
        path = f"/projects/{project.id}/tasks/bulk"
        answer = await self.caller.call("bulk create", "POST", path, body=body, again=False)
        if answer is None:
            self.bulks[prefix] = size
            return
        if answer.status_code == 201:
            for made in answer.json()["items"]:
                self.owned[made["id"]] = Owned(
                    made["id"], project, made["title"], made["status_id"]
                )
                self.owned[made["id"]].took(made, "created")

    async def change(
        self, task: Owned, kind: str, method: str, suffix: str, body: dict[str, str] | None
    ) -> None:
        headers = {"If-Match": f'"{task.version}"'}
        path = f"/tasks/{task.id}{suffix}"
        answer = await self.caller.call(kind, method, path, body=body, headers=headers)
        task.trail.append(f"{kind} at v{task.version}: {answer.status_code if answer else None}")
        if answer is None:
            task.unsettled = True
        elif answer.status_code == 204:
            task.deleted, task.version = True, task.version + 1
        elif answer.status_code == 200:
            task.took(answer.json(), kind)
        else:  # 412: an earlier attempt of this very write applied, its answer lost
            await self.settle(task)

    async def settle(self, task: Owned) -> bool:
        """Read the task again: it is this writer's alone, so what it reads is what applied."""
        answer = await self.caller.call("read", "GET", f"/tasks/{task.id}")
        if answer is None:
            return False
        if answer.status_code == 404:
            task.deleted, task.unsettled = True, False
        else:
            task.took(answer.json(), "read")
        task.frozen = False
        return True
