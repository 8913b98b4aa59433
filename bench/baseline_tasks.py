"""The baseline of bench/task_create.py: a bare FastAPI + asyncpg endpoint doing the same writes.

One transaction inserting the task row and its outbox row, into the same schema as the tasks
service, with no authentication, validation, authorisation, numbering or relay: the floor of
what any implementation of a create must pay for HTTP, JSON and Postgres.
Configured by BENCH_DSN, BENCH_WORKSPACE_ID, BENCH_STATUS_ID, BENCH_REPORTER_ID.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import orjson
from fastapi import FastAPI, Request, Response

POOL: dict[str, asyncpg.Pool] = {}
NUMBERS = itertools.count(1)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    POOL["pool"] = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=20, max_size=20)
    yield
    await POOL.pop("pool").close()


app = FastAPI(lifespan=lifespan)


@app.post("/api/v1/projects/{project_id}/tasks", status_code=201)
async def create(project_id: uuid.UUID, request: Request) -> Response:
    body = await request.json()
    now, number, task_id = datetime.now(UTC), next(NUMBERS), uuid.uuid4()
    task = {
        "id": task_id,
        "project_id": project_id,
        "workspace_id": uuid.UUID(os.environ["BENCH_WORKSPACE_ID"]),
        "number": number,
        "title": body["title"],
        "description": body.get("description", ""),
        "status_id": uuid.UUID(os.environ["BENCH_STATUS_ID"]),
        "category": "todo",
        "position": number,
        "priority": "none",
        "reporter_id": uuid.UUID(os.environ["BENCH_REPORTER_ID"]),
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    payload = orjson.dumps({"id": uuid.uuid4(), "type": "task.created", "data": task})
    async with POOL["pool"].acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO tasks (id, project_id, workspace_id, number, title, description, "
            "status_id, category, position, priority, reporter_id, version, created_at, "
            "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            *task.values(),
        )
        await conn.execute(
            "INSERT INTO outbox (id, routing_key, payload) VALUES ($1, 'task.created', $2)",
            uuid.uuid4(),
            payload,
        )
    return Response(orjson.dumps(task), status_code=201, media_type="application/json")
