"""End to end: a task created and moved through the tasks service's REST API arrives, numbered
and in order, on the project room's sockets, and its project's progress on the workspace's."""

from __future__ import annotations

from typing import Any

from websockets.asyncio.client import connect

from taskwire.testkit.users import Users
from tests.support.notifier import Client
from tests.support.system import System


async def until(feed: Client, room: str, type_: str) -> dict[str, Any]:
    while True:
        frame = await feed.next(timeout=15)
        if frame.get("room") == room and frame["event"]["type"] == type_:
            return frame


async def test_a_task_made_through_rest_reaches_the_boards_sockets(
    system: System, users: Users
) -> None:
    ada = users("ada")
    workspace, project = await system.workspace_and_project(ada)
    done = next(s["id"] for s in project["statuses"] if s["category"] == "done")
    board, lobby = f"project:{project['id']}", f"workspace:{workspace['id']}"
    async with connect(system.notifier) as connection:
        feed = Client(connection)
        await feed.send(op="auth", token=ada.token)
        assert (await feed.next())["op"] == "ready"
        assert (await feed.subscribe(board))["op"] == "subscribed"
        assert (await feed.subscribe(lobby))["op"] == "subscribed"

        made = await system.ok(
            system.tasks, "POST", f"/projects/{project['id']}/tasks", ada, {"title": "Ship"}
        )
        created = await until(feed, board, "task.created")
        assert created["event"]["data"]["id"] == made["id"]
        await system.ok(system.tasks, "POST", f"/tasks/{made['id']}/move", ada, {"status_id": done})
        moved = await until(feed, board, "task.moved")
        assert moved["seq"] > created["seq"]
        assert moved["event"]["data"]["category"] == "done"
        progress = await until(feed, lobby, "project.derived_status_changed")
        assert progress["event"]["data"]["new"] == "done"
