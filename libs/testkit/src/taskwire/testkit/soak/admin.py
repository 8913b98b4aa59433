"""Each workspace's owner, changing what the others work in: members added and removed,
statuses created and deleted (their tasks moved on with `move_to`), projects archived and
restored. The owner writes tasks too (into its own statuses, so a deletion moves only its
tasks, which it then reads again), so its writes and the services' moves meet."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field

from taskwire.testkit.soak.calls import Caller
from taskwire.testkit.soak.world import Workspace
from taskwire.testkit.soak.writers import Writer
from taskwire.testkit.users import User, Users


@dataclass
class Admin:
    workspace: Workspace
    caller: Caller
    writer: Writer  # the owner's own tasks
    users: Users
    rng: random.Random
    added: dict[str, User] = field(default_factory=dict)  # members it added, still in
    removed: dict[str, User] = field(default_factory=dict)  # and those it removed since

    async def run(self, stop: asyncio.Event, pause: float) -> None:
        while not stop.is_set():
            roll = self.rng.random()
            if roll < 0.6:
                await self.writer.step()
            elif roll < 0.7:
                await self.add_member()
            elif roll < 0.8:
                await self.remove_member()
            elif roll < 0.87:
                await self.create_status()
            elif roll < 0.94:
                await self.delete_status()
            else:
                await self.archive_or_restore()
            await asyncio.sleep(pause * self.rng.random() * 4)

    async def add_member(self) -> None:
        person = self.users(f"member{len(self.added) + len(self.removed)}")
        body = {"user_id": str(person.id), "email": person.email,
                "display_name": person.name, "role": "member"}  # fmt: skip
        path = f"/workspaces/{self.workspace.id}/members"
        answer = await self.caller.call("add member", "POST", path, body=body)
        if answer is not None and answer.status_code == 201:
            self.added[str(person.id)] = person

    async def remove_member(self) -> None:
        if not self.added:
            return
        user_id = self.rng.choice(sorted(self.added))
        path = f"/workspaces/{self.workspace.id}/members/{user_id}"
        answer = await self.caller.call("remove member", "DELETE", path)
        if answer is not None and answer.status_code in (204, 404):
            self.removed[user_id] = self.added.pop(user_id)

    async def create_status(self) -> None:
        project = self.rng.choice(self.workspace.projects)
        category = self.rng.choice(["todo", "in_progress", "in_review", "issue", "done"])
        body = {"name": f"scratch {uuid.uuid4().hex[:6]}", "category": category}
        path = f"/projects/{project.id}/statuses"
        answer = await self.caller.call("create status", "POST", path, body=body)
        if answer is not None and answer.status_code == 201:
            self.writer.extra.setdefault(project.id, []).append(answer.json()["id"])

    async def delete_status(self) -> None:
        scratch = [(p, s) for p, ids in self.writer.extra.items() for s in ids]
        if not scratch:
            return
        project_id, status_id = self.rng.choice(scratch)
        project = next(p for p in self.workspace.projects if p.id == project_id)
        path = f"/statuses/{status_id}?move_to={project.statuses[0]}"
        answer = await self.caller.call("delete status", "DELETE", path)
        if answer is not None and answer.status_code in (204, 404):
            self.writer.extra[project_id].remove(status_id)
            for task in self.writer.owned.values():  # the tasks service moves them on its own
                if task.status_id == status_id or task.unsettled:
                    task.frozen = True
                    task.trail.append(f"frozen: {status_id[-6:]} deleted")

    async def archive_or_restore(self) -> None:
        project = self.rng.choice(self.workspace.projects)
        kind = "restore" if self.rng.random() < 0.5 else "archive"
        await self.caller.call(f"{kind} project", "POST", f"/projects/{project.id}/{kind}")
