"""Routes for other Taskwire services (the internal token), outside /api/v1: the gateway never
routes /internal.

The task facts are the ground truth the aggregator recounts its per-project counts from: every
task, archived and deleted ones included, with what decides where it counts. Answers are
encoded straight from the rows, with no model per row: a recount pages through every task of
the service.
"""

from __future__ import annotations

from typing import Annotated, Final
from uuid import UUID

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from taskwire.common.auth import InternalDep
from taskwire.common.bodies import Body
from taskwire.common.events.projects import Category
from taskwire.common.openapi import API, problems
from taskwire.tasks.api.deps import StatementsDep
from taskwire.tasks.store.facts import FIELDS, Fact
from taskwire.tasks.use_cases import reading

MAX_FACTS: Final = 10_000

router = APIRouter(prefix="/internal/v1", tags=["internal"], responses=problems(*API))


class TaskFacts(BaseModel):
    """A page of task facts (the shape of the answer, for the OpenAPI document): each item holds
    the values of `fields`, in that order. `next_after` is the `after` of the next page, null
    once a page comes back short (the walk is over)."""

    fields: list[str] = Field(examples=[list(FIELDS)])
    items: list[tuple[UUID, UUID, Category, bool, bool, int]]
    next_after: UUID | None


class TaskFactsLookup(Body):
    ids: list[UUID] = Field(min_length=1, max_length=MAX_FACTS)


@router.get("/task-facts", response_model=TaskFacts)
async def task_facts(
    _: InternalDep,
    statements: StatementsDep,
    project_id: Annotated[UUID | None, Query(description="only this project's tasks")] = None,
    after: Annotated[UUID | None, Query(description="the next_after of the previous page")] = None,
    # Capped, not refused, like every list of the system.
    limit: Annotated[int, Query(ge=1, description=f"page size, capped at {MAX_FACTS}")] = 5_000,
) -> Response:
    """Every task, archived and deleted ones included, by id, from just after `after`."""
    items, next_after = await reading.task_facts(
        statements.engine, project_id, after, min(limit, MAX_FACTS)
    )
    return _answer(items, next_after)


@router.post("/task-facts/lookup", response_model=TaskFacts, responses=problems(400))
async def look_up_task_facts(
    _: InternalDep, statements: StatementsDep, body: TaskFactsLookup
) -> Response:
    """The facts of those of `ids` that exist (deleted ones included), by id; unknown ids are
    left out."""
    return _answer(await reading.task_facts_of(statements.engine, body.ids), None)


def _answer(items: list[Fact], next_after: str | None) -> Response:
    body = {"fields": FIELDS, "items": items, "next_after": next_after}
    return Response(orjson.dumps(body), media_type="application/json")
