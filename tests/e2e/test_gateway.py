"""End to end, as users meet the system: every service its own process (as the run command
starts them) behind the nginx gateway, driven only through the gateway's REST API and its
WebSocket feed."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
from websockets.asyncio.client import connect

from taskwire.testkit.users import User, Users
from taskwire.testkit.waiting import eventually
from tests.support.notifier import Client

FIELDS = ("total", "todo", "in_progress", "in_review", "issue", "done", "archived")
MUTATION_ID = "X-Client-Mutation-Id"


async def call(
    gateway: str,
    user: User,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"{gateway}/api/v1", headers=user.auth) as http:
        return await http.request(method, path, json=body, headers=headers)


async def ok(gateway: str, user: User, method: str, path: str, body: Any = None) -> Any:
    response = await call(gateway, user, method, path, body)
    assert response.is_success, response.text
    return response.json() if response.content else None


async def signed_in(gateway: str, email: str, name: str) -> User:
    """Signed in through the gateway, as a browser signs in during development."""
    body = {"email": email, "display_name": name}
    async with httpx.AsyncClient(base_url=f"{gateway}/api/v1") as http:
        response = await http.post("/dev/tokens", json=body)
    assert response.status_code == 201, response.text
    minted = response.json()
    return User(UUID(minted["user_id"]), email, name, minted["token"])


async def test_the_system_through_its_gateway(gateway: str, users: Users) -> None:
    ada = await signed_in(gateway, f"ada.{uuid4().hex[:6]}@example.test", "Ada")
    bob, eve = users("bob"), users("eve")
    workspace = await ok(gateway, ada, "POST", "/workspaces", {"name": "Acme"})
    member = {"user_id": str(bob.id), "email": bob.email, "display_name": bob.name}
    await ok(gateway, ada, "POST", f"/workspaces/{workspace['id']}/members", member)
    project = await ok(
        gateway, ada, "POST", f"/workspaces/{workspace['id']}/projects", {"key": "WEB", "name": "W"}
    )
    statuses = {s["category"]: s["id"] for s in project.get("statuses", [])} or {
        s["category"]: s["id"]
        for s in (await ok(gateway, ada, "GET", f"/projects/{project['id']}"))["statuses"]
    }
    board = f"project:{project['id']}"
    async with connect(gateway.replace("http", "ws") + "/ws") as connection:
        feed = Client(connection)
        await feed.send(op="auth", token=bob.token)
        assert (await feed.next())["op"] == "ready"
        subscribed = await feed.subscribe(board)
        assert subscribed["op"] == "subscribed"

        made: list[dict[str, Any]] = []
        for n in range(4):  # each named as a browser names its changes, to know them on the feed
            named = {MUTATION_ID: f"tab:{n}"}
            tasks = f"/projects/{project['id']}/tasks"
            response = await call(gateway, ada, "POST", tasks, {"title": f"t{n}"}, named)
            assert response.status_code == 201, response.text
            made.append(response.json())
        t0, t1, t2, t3 = (task["id"] for task in made)
        await ok(gateway, ada, "POST", f"/tasks/{t0}/move", {"status_id": statuses["done"]})
        await ok(gateway, bob, "POST", f"/tasks/{t1}/move", {"status_id": statuses["in_review"]})
        await ok(gateway, ada, "POST", f"/tasks/{t2}/archive")
        await ok(gateway, ada, "POST", f"/tasks/{t2}/restore")
        await ok(gateway, ada, "DELETE", f"/tasks/{t3}")
        frames: list[dict[str, Any]] = []  # the board's, progress included
        task_events: list[dict[str, Any]] = []
        while len(task_events) < 9:
            frame = await feed.next(timeout=15)
            assert frame["op"] == "event", frame
            frames.append(frame)
            if frame["event"]["type"].startswith("task."):
                task_events.append(frame)
    kinds = [f["event"]["type"] for f in task_events]
    changes = ["task.moved", "task.moved", "task.archived", "task.restored", "task.deleted"]
    assert kinds == ["task.created"] * 4 + changes
    mutation_ids = [f["event"]["client_mutation_id"] for f in task_events]
    assert mutation_ids == [f"tab:{n}" for n in range(4)] + [None] * len(changes)
    numbers = [f["seq"] for f in frames]
    first = subscribed["seq"] + 1  # what the room held before bob came is not replayed
    assert numbers == list(range(first, first + len(frames)))  # in order, no gap

    live = (await ok(gateway, ada, "GET", f"/projects/{project['id']}/tasks"))["items"]
    truth = dict.fromkeys(FIELDS, 0)
    for task in live:
        truth["total"] += 1
        truth[task["category"]] += 1

    async def converged() -> bool:
        shown = await ok(gateway, ada, "GET", f"/projects/{project['id']}")
        return bool(shown["counts"] == truth and shown["derived_status"] == "in_progress")

    await eventually(converged, timeout=20, interval=0.1, what=f"counts {truth}")
    counts = await ok(gateway, bob, "GET", f"/projects/{project['id']}/counts")
    assert counts["counts"] == truth

    # Someone who is not a member sees nothing, over REST or the feed.
    for path in (f"/projects/{project['id']}", f"/projects/{project['id']}/tasks", f"/tasks/{t0}"):
        assert (await call(gateway, eve, "GET", path)).status_code == 404, path
    assert (await call(gateway, eve, "GET", f"/projects/{project['id']}/counts")).status_code == 404
    async with connect(gateway.replace("http", "ws") + "/ws") as connection:
        feed = Client(connection)
        await feed.send(op="auth", token=eve.token)
        assert (await feed.next())["op"] == "ready"
        refused = await feed.subscribe(board)
        assert (refused["op"], refused["code"]) == ("error", "forbidden")
    internal = await call(gateway, ada, "GET", "/../internal/v1/task-facts")
    assert internal.status_code == 404
