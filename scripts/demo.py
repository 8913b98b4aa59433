"""A guided tour of a running system (start it first with ./scripts/run.sh), through its gateway.

    uv run python scripts/demo.py [--gateway http://127.0.0.1:8080]

Makes a development token, a workspace, a project and a few tasks through the REST API,
watches the project's and the workspace's rooms on the live feed, moves the tasks across the
board to done, and prints each event as it arrives and the project's counts and derived
status as they converge.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any
from uuid import uuid4

import httpx
from websockets.asyncio.client import ClientConnection, connect

from taskwire.common.auth import mint_token
from taskwire.common.settings import ServiceSettings, load_local_settings

STEPS = ("in_progress", "in_review", "done")


class Api:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.http.request(method, f"/api/v1{path}", json=body)
        if not response.is_success:
            sys.exit(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json() if response.content else None


async def watch(feed: ClientConnection, started: float) -> None:
    async for raw in feed:
        frame = json.loads(raw)
        if frame["op"] != "event":
            print(f"  feed   {frame}")
            continue
        event = frame["event"]
        data, at = event["data"], f"{(time.monotonic() - started) * 1000:7.0f} ms"
        what = data.get("title") or data.get("name") or data.get("derived_status", "")
        if event["type"] == "project.progress_changed":
            counts = {k: v for k, v in data["counts"].items() if v}
            what = f"counts {counts}, status {data['derived_status']}"
        elif event["type"] == "project.derived_status_changed":
            what = f"{data['old']} -> {data['new']}"
        print(f"  {at}  {frame['room'][:12]}... #{frame['seq']:<3} {event['type']:<32} {what}")


async def demo(gateway: str) -> None:
    name = f"demo-{uuid4().hex[:6]}"
    token = mint_token(load_local_settings(ServiceSettings), uuid4(), f"{name}@example.com", "Demo")
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=gateway, headers=headers, timeout=10) as http:
        api = Api(http)
        workspace = await api("POST", "/workspaces", {"name": f"Demo {name}"})
        project = await api(
            "POST", f"/workspaces/{workspace['id']}/projects", {"key": "DEMO", "name": "Demo"}
        )
        board = await api("GET", f"/projects/{project['id']}")
        statuses = {s["category"]: s["id"] for s in board["statuses"]}
        print(f"workspace {workspace['id']}\nproject   {project['id']} (DEMO)\n\nlive feed:")
        async with connect(gateway.replace("http", "ws", 1) + "/ws") as feed:
            await feed.send(json.dumps({"op": "auth", "token": token}))
            for room in (f"project:{project['id']}", f"workspace:{workspace['id']}"):
                await feed.send(json.dumps({"op": "subscribe", "room": room}))
            watcher = asyncio.create_task(watch(feed, started))
            tasks = [
                await api("POST", f"/projects/{project['id']}/tasks", {"title": title})
                for title in ("Design the board", "Build the API", "Ship it")
            ]
            for step in STEPS:
                for task in tasks:
                    await api("POST", f"/tasks/{task['id']}/move", {"status_id": statuses[step]})
                    await asyncio.sleep(0.2)
            await converge(api, project["id"])
            watcher.cancel()
    print(f"\ntoken for more: {token}")


async def converge(api: Api, project_id: str) -> None:
    for _ in range(50):
        shown = await api("GET", f"/projects/{project_id}")
        if shown["counts"]["done"] == 3:
            break
        await asyncio.sleep(0.1)
    print(f"\nproject counts {shown['counts']}, derived status {shown['derived_status']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    args = parser.parse_args()
    try:
        asyncio.run(demo(args.gateway))
    except httpx.ConnectError:
        sys.exit(f"nothing answers at {args.gateway}: start the system first (./scripts/run.sh)")


if __name__ == "__main__":
    main()
