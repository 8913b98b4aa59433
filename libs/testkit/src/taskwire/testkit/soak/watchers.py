"""The watching clients, as the documented client must behave (docs/notifier.md): subscribe to
rooms, keep each room's `seq` and `epoch`, reconnect after every drop and resume with them, and
reload the room's tasks from REST whenever told `recovered: false`. Each keeps the newest state
of every task it has seen, and the gaps it saw that nobody announced."""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from taskwire.testkit.users import User

TaskView = tuple[str, str, bool, bool, int]  # title, status id, archived, deleted, version


@dataclass
class Room:
    name: str
    project_id: str | None  # a project's room: its tasks are reloaded on a resync
    epoch: str | None = None
    seq: int | None = None


@dataclass
class Watcher:
    name: str
    user: User
    gateway: str
    rooms: list[Room]
    rng: random.Random
    tasks: dict[str, TaskView] = field(default_factory=dict)
    project_of: dict[str, str] = field(default_factory=dict)  # task id -> its project's
    unannounced_gaps: list[str] = field(default_factory=list)
    frames: int = 0
    resyncs: int = 0
    reconnects: int = 0
    slow: bool = False  # reads its socket with a pause after every frame
    _connection: ClientConnection | None = None
    _reloading: dict[str, asyncio.Task[None]] = field(default_factory=dict)  # by room name

    def drop(self) -> None:
        """Cut its connection, as a flaky network would; it reconnects and resumes."""
        if self._connection is not None:
            self._connection.transport.abort()

    @property
    def reloading(self) -> bool:
        return any(not reload.done() for reload in self._reloading.values())

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self._connected(stop)
        finally:
            for reload in self._reloading.values():
                reload.cancel()
            await asyncio.gather(*self._reloading.values(), return_exceptions=True)

    async def _connected(self, stop: asyncio.Event) -> None:
        url = self.gateway.replace("http://", "ws://") + "/ws"
        pause = 0.2
        while not stop.is_set():
            with contextlib.suppress(WebSocketException, OSError, TimeoutError):
                async with connect(url, open_timeout=5, max_size=None) as connection:
                    self._connection = connection
                    await self._session(connection, stop)
                    pause = 0.2
            self._connection = None
            if not stop.is_set():
                self.reconnects += 1
                await asyncio.sleep(pause * (0.5 + self.rng.random()))
                pause = min(pause * 2, 3.0)

    async def _session(self, connection: ClientConnection, stop: asyncio.Event) -> None:
        await connection.send(orjson.dumps({"op": "auth", "token": self.user.token}).decode())
        for room in self.rooms:
            subscribe: dict[str, Any] = {"op": "subscribe", "room": room.name}
            if room.epoch is not None and room.seq is not None:
                subscribe |= {"since": room.seq, "epoch": room.epoch}
            await connection.send(orjson.dumps(subscribe).decode())
        by_name = {room.name: room for room in self.rooms}
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                frame = orjson.loads(await asyncio.wait_for(connection.recv(), 1.0))
                await self._on(frame, by_name)
                if self.slow:
                    await asyncio.sleep(0.02)

    async def _on(self, frame: dict[str, Any], rooms: dict[str, Room]) -> None:
        room = rooms.get(frame.get("room", ""))
        if room is None:
            return
        if frame["op"] == "subscribed":
            # A first subscription, or a resume the server could not serve: what the room holds
            # comes from REST, and the live frames go on from the number it names. The reload
            # runs beside the reading, as a browser's would: a client that stopped reading for
            # the length of a large project's listing would be closed as too slow, resume
            # unrecovered and reload again, for ever.
            if not frame.get("recovered", False):
                self.resyncs += 1
                room.seq = frame["seq"]
                if room.project_id is not None:
                    self._start_reload(room.name, room.project_id)
            room.epoch = frame["epoch"]
        elif frame["op"] == "event":
            self.frames += 1
            if frame["epoch"] != room.epoch or frame["seq"] != (room.seq or 0) + 1:
                self.unannounced_gaps.append(
                    f"{self.name} {room.name}: after {room.epoch}/{room.seq} came "
                    f"{frame['epoch']}/{frame['seq']}"
                )
            room.epoch, room.seq = frame["epoch"], frame["seq"]
            self._saw(frame["event"])

    def _saw(self, event: dict[str, Any]) -> None:
        if not event["type"].startswith("task."):
            return
        data = event["data"]
        deleted = event["type"] == "task.deleted" or bool(data.get("deleted"))
        self._keep(data["id"], data, deleted)

    def _keep(self, task_id: str, data: dict[str, Any], deleted: bool) -> None:
        view = (data["title"], data["status_id"], data["archived_at"] is not None, deleted,
                data["version"])  # fmt: skip
        self.project_of[task_id] = data["project_id"]
        held = self.tasks.get(task_id)
        if held is None or held[4] < view[4]:
            self.tasks[task_id] = view

    def _start_reload(self, room: str, project_id: str) -> None:
        """A newer resync supersedes a reload still running: it marks nothing deleted until it
        has listed every page, so stopping it half way leaves nothing wrong."""
        if (running := self._reloading.get(room)) is not None:
            running.cancel()
        self._reloading[room] = asyncio.create_task(self._reload(project_id))

    async def _reload(self, project_id: str) -> None:
        """What a client does on `recovered: false`: the project's tasks again, from REST, until
        a listing succeeds. A task held before the listing began, unchanged since and not
        listed was deleted meanwhile; one seen or changed live during the listing is the live
        frames' to tell."""
        before = {t: self.tasks[t][4] for t, p in self.project_of.items() if p == project_id}
        pause = 0.2
        while (listed := await self._listed(project_id)) is None:
            await asyncio.sleep(pause * (0.5 + self.rng.random()))
            pause = min(pause * 2, 3.0)
        for task_id, version in before.items():
            title, status, archived, _, now = self.tasks[task_id]
            if task_id not in listed and now == version:
                self.tasks[task_id] = (title, status, archived, True, version)

    async def _listed(self, project_id: str) -> set[str] | None:
        """Every task of the project, kept as seen; None when a page could not be had."""
        listed: set[str] = set()
        async with httpx.AsyncClient(base_url=f"{self.gateway}/api/v1", headers=self.user.auth,
                                     timeout=10) as http:  # fmt: skip
            cursor: str | None = None
            while True:
                params: dict[str, str | int] = {"limit": 200, "archived": "all"}
                if cursor:
                    params["cursor"] = cursor
                try:
                    answer = await http.get(f"/projects/{project_id}/tasks", params=params)
                except httpx.HTTPError:
                    return None
                if answer.status_code != 200:
                    return None
                page = answer.json()
                for task in page["items"]:
                    listed.add(task["id"])
                    self._keep(task["id"], task, False)
                if not (cursor := page.get("next_cursor")):
                    return listed
