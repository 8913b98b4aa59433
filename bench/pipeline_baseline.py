"""The baseline of bench/pipeline.py: the seed system's own design, in one process.

FastAPI + asyncpg: a create inserts the task and upserts its project's counts row, a move
updates the task's status and moves its counts, each in one transaction; then the event is
broadcast to the room's WebSocket clients without awaiting them (fire and forget). No broker,
no outbox, no numbering, no authorisation: what a write costs when nothing is made durable
beyond the row and nothing is delivered twice or resumed.
Configured by BENCH_DSN (its own database) and BENCH_TODO (the status a task is created in).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request, Response, WebSocket, WebSocketDisconnect

POOL: dict[str, asyncpg.Pool] = {}
ROOMS: defaultdict[str, set[WebSocket]] = defaultdict(set)
SENDS: set[asyncio.Task[None]] = set()  # held so a send in flight is not collected
SEQ: defaultdict[str, int] = defaultdict(int)
SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (id uuid PRIMARY KEY, project_id uuid NOT NULL,
    status_id uuid NOT NULL, title text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS counts (project_id uuid, status_id uuid, n integer NOT NULL,
    PRIMARY KEY (project_id, status_id));
"""
COUNT = (
    "INSERT INTO counts (project_id, status_id, n) VALUES ($1, $2, $3) "
    "ON CONFLICT (project_id, status_id) DO UPDATE SET n = counts.n + EXCLUDED.n"
)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    POOL["pool"] = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=20, max_size=20)
    async with POOL["pool"].acquire() as conn:
        await conn.execute(SCHEMA)
    yield
    await POOL.pop("pool").close()


app = FastAPI(lifespan=lifespan)


def broadcast(project_id: uuid.UUID, type_: str, data: dict[str, Any]) -> None:
    room = f"project:{project_id}"
    SEQ[room] += 1
    frame = orjson.dumps(
        {"op": "event", "room": room, "seq": SEQ[room], "event": {"type": type_, "data": data}}
    ).decode()
    for socket in ROOMS[room]:
        send = asyncio.create_task(socket.send_text(frame))
        SENDS.add(send)
        send.add_done_callback(SENDS.discard)


@app.post("/api/v1/projects/{project_id}/tasks", status_code=201)
async def create(project_id: uuid.UUID, request: Request) -> Response:
    body = await request.json()
    task_id, status_id = uuid.uuid4(), uuid.UUID(os.environ["BENCH_TODO"])
    async with POOL["pool"].acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO tasks (id, project_id, status_id, title) VALUES ($1, $2, $3, $4)",
            task_id,
            project_id,
            status_id,
            body["title"],
        )
        await conn.execute(COUNT, project_id, status_id, 1)
    task = {"id": str(task_id), "project_id": str(project_id), "status_id": str(status_id)}
    broadcast(project_id, "task.created", task | {"title": body["title"]})
    return Response(orjson.dumps(task), status_code=201, media_type="application/json")


@app.post("/api/v1/tasks/{task_id}/move")
async def move(task_id: uuid.UUID, request: Request) -> Response:
    status_id = uuid.UUID((await request.json())["status_id"])
    async with POOL["pool"].acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT project_id, status_id FROM tasks WHERE id = $1 FOR UPDATE", task_id
        )
        if row is None:
            return Response(status_code=404)
        await conn.execute("UPDATE tasks SET status_id = $2 WHERE id = $1", task_id, status_id)
        await conn.execute(COUNT, row["project_id"], row["status_id"], -1)
        await conn.execute(COUNT, row["project_id"], status_id, 1)
    task = {"id": str(task_id), "project_id": str(row["project_id"]), "status_id": str(status_id)}
    broadcast(row["project_id"], "task.moved", task)
    return Response(orjson.dumps(task), media_type="application/json")


@app.websocket("/ws")
async def feed(socket: WebSocket) -> None:
    """The notifier's protocol, as far as a watcher speaks it: auth, then subscribe."""
    await socket.accept()
    joined: list[str] = []
    try:
        while True:
            message = orjson.loads(await socket.receive_text())
            if message["op"] == "auth":
                await socket.send_text(orjson.dumps({"op": "ready"}).decode())
            elif message["op"] == "subscribe":
                room = message["room"]
                ROOMS[room].add(socket)
                joined.append(room)
                answer = {"op": "subscribed", "room": room, "seq": SEQ[room]}
                await socket.send_text(orjson.dumps(answer).decode())
    except WebSocketDisconnect:
        pass
    finally:
        for room in joined:
            ROOMS[room].discard(socket)
