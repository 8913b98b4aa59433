"""The load generator and the watchers of bench/pipeline.py, in a process of their own.

    python -m bench.pipeline_load '<json: host, port, token, project, workspace, statuses,
                                    rate, seconds, grace, watchers>'

Watchers connect to `/ws`, authenticate and join the project's and the workspace's rooms; then
writes go out at a fixed rate whether or not earlier ones were answered (an open loop): two
creates, then a move of a task created earlier to another status, and again. Each write's due
time, its answer and each watcher's first frame of it are read from one clock (perf_counter,
this process), so click-to-screen is a difference of two readings of the same clock.

Prints a line `{"phase": "load"}` as the first write is due, `{"phase": "drain"}` once every
write is answered, and the figures after waiting up to `grace` seconds for missing frames.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from typing import Any

import orjson

from bench.fanout_client import FeedClient, Recorder, open_client, text_frame
from bench.load import Connection, http_request

MOVE_EVERY = 3  # every third write moves a task; the others create
WATCHED = {"task.created", "task.moved"}


class Watcher(FeedClient):
    """A feed connection noting when each task event first reached it."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(recorder)
        self.seen: dict[tuple[str, str], float] = {}

    def _event(self, buf: bytes, start: int, end: int, now: float) -> None:
        event = orjson.loads(buf[start:end]).get("event") or {}
        task = (event.get("data") or {}).get("id")
        if event.get("type") in WATCHED and isinstance(task, str):
            self.seen.setdefault((task, event["type"]), now)


async def watch(config: dict[str, Any]) -> Watcher:
    """A watcher past its handshake, signed in, in the project's and the workspace's rooms."""
    rooms = [f"project:{config['project']}", f"workspace:{config['workspace']}"]
    hello = [orjson.dumps({"op": "auth", "token": config["token"]})]
    hello += [orjson.dumps({"op": "subscribe", "room": room}) for room in rooms]
    watcher = Watcher(Recorder())
    await open_client(config["host"], config["port"], "/ws", watcher.recorder, lambda: watcher)
    for message in hello:
        if b'"op":"error"' in (answer := await watcher.ask(text_frame(message))):
            raise ConnectionError(f"refused {message!r}: {answer!r}")
    return watcher


class Writer:
    """The open loop: creates and moves at a fixed rate, each write's due and answer times."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.host, self.port = config["host"], config["port"]
        self.project, self.statuses = config["project"], config["statuses"]
        self.headers = {
            "Authorization": f"Bearer {config['token']}",
            "Content-Type": "application/json",
        }
        self.idle: list[Connection] = []
        self.unmoved: list[str] = []  # tasks created and answered, not moved yet
        self.writes: list[tuple[str, str, float, float]] = []  # task, event, due, answered
        self.failed: Counter[int] = Counter()
        self.lateness: list[float] = []  # how long after its due time each write went out

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        conn = self.idle.pop() if self.idle else await Connection.open(self.host, self.port)
        try:
            status, body = await conn.send(raw)
        except (asyncio.IncompleteReadError, ConnectionError):
            # A keep-alive connection the server closed while idle: it never read this request.
            conn.close()
            conn = await Connection.open(self.host, self.port)
            status, body = await conn.send(raw)
        self.idle.append(conn)
        return status, body

    async def write(self, due: float, number: int) -> None:
        self.lateness.append(time.perf_counter() - due)
        if number % MOVE_EVERY == MOVE_EVERY - 1 and self.unmoved:
            task, event = self.unmoved.pop(0), "task.moved"
            target = self.statuses[1 + number % (len(self.statuses) - 1)]
            path, body = f"/api/v1/tasks/{task}/move", {"status_id": target}
        else:
            task, event = "", "task.created"
            path, body = f"/api/v1/projects/{self.project}/tasks", {"title": f"write {number}"}
        status, answer = await self.send(
            http_request("POST", path, orjson.dumps(body), self.headers)
        )
        answered = time.perf_counter()
        if not 200 <= status < 300:
            self.failed[status] += 1
            return
        if event == "task.created":
            task = orjson.loads(answer)["id"]
            self.unmoved.append(task)
        self.writes.append((task, event, due, answered))

    async def run(self, rate: float, seconds: float) -> None:
        began, pending = time.perf_counter() + 0.01, []
        for number in range(int(rate * seconds)):
            due = began + number / rate
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(self.write(due, number)))
        await asyncio.gather(*pending)


def missing(writer: Writer, watchers: list[Watcher]) -> int:
    return sum(
        any((task, event) not in w.seen for w in watchers) for task, event, _, _ in writer.writes
    )


async def main(config: dict[str, Any]) -> dict[str, Any]:
    watchers = [await watch(config) for _ in range(config["watchers"])]
    writer = Writer(config)
    print(orjson.dumps({"phase": "load"}).decode(), flush=True)
    cpu = time.process_time()
    await writer.run(config["rate"], config["seconds"])
    print(orjson.dumps({"phase": "drain"}).decode(), flush=True)
    for _ in range(int(config["grace"] * 20)):  # a poll with a deadline
        if not missing(writer, watchers):
            break
        await asyncio.sleep(0.05)
    clicks = [
        (w.seen[task, event] - due) * 1000
        for task, event, due, _ in writer.writes
        for w in watchers
        if (task, event) in w.seen
    ]
    for watcher in watchers:
        watcher.close()
    for conn in writer.idle:
        conn.close()
    return {
        "rest": [(answered - due) * 1000 for _, _, due, answered in writer.writes],
        "click": clicks,
        "writes": len(writer.writes),
        "missing": missing(writer, watchers),
        "failed": {str(status): n for status, n in writer.failed.items()},
        "late_ms": sorted(writer.lateness)[int(0.99 * len(writer.lateness))] * 1000,
        "load_cpu_ms": (time.process_time() - cpu) * 1000,
    }


if __name__ == "__main__":
    figures = asyncio.run(main(orjson.loads(sys.argv[1])))
    print(orjson.dumps(figures).decode(), flush=True)
