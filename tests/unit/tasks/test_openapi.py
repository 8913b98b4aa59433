"""The tasks service's OpenAPI document declares every status each route answers, errors as
problem+json, and links a created task to what reads, changes and deletes it."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from taskwire.tasks.app import create_app
from taskwire.tasks.settings import TasksSettings
from tests.support import documents

CHANGE = {400, 403, 404, 409, 412}
# Beyond 413 and 500 (every route) and 401, 422, 429 and 503 (every API route).
OWN_STATUSES = {
    "GET /livez": {200},
    "GET /readyz": {200, 503},
    "POST /api/v1/projects/{project_id}/tasks": {201, 400, 403, 404, 409},
    "POST /api/v1/projects/{project_id}/tasks/bulk": {201, 400, 403, 404, 409},
    "GET /api/v1/projects/{project_id}/tasks": {200, 400, 404},
    "GET /api/v1/tasks/{task_id}": {200, 404},
    "PATCH /api/v1/tasks/{task_id}": {200, *CHANGE},
    "POST /api/v1/tasks/{task_id}/move": {200, *CHANGE},
    "POST /api/v1/tasks/{task_id}/archive": {200, *CHANGE},
    "POST /api/v1/tasks/{task_id}/restore": {200, *CHANGE},
    "DELETE /api/v1/tasks/{task_id}": {204, *CHANGE},
    "GET /api/v1/me/tasks": {200, 400},
    "GET /internal/v1/task-facts": {200},
    "POST /internal/v1/task-facts/lookup": {200, 400},
    "POST /internal/v1/replica/workspaces/{workspace_id}/members/repair": {200, 404},
}


@pytest.fixture(scope="module")
def service() -> FastAPI:
    """The app as built, never started: its document needs nothing running."""
    return create_app(TasksSettings(environment="development"))


def test_each_route_declares_what_it_answers(service: FastAPI) -> None:
    documents.assert_declares(service, OWN_STATUSES)


def test_every_write_takes_a_client_mutation_id(service: FastAPI) -> None:
    writes = documents.api_writes(service)
    assert len(writes) == 7
    assert documents.taking_header(service, "X-Client-Mutation-Id") == writes


def test_links_chain_a_created_task_to_its_read_change_and_delete(service: FastAPI) -> None:
    made = documents.links(service, "POST /api/v1/projects/{project_id}/tasks", 201)
    assert made["get_task"] == {"task_id": "$response.body#/id"}
    assert made["delete_task"]["header.if-match"] == "$response.header.ETag"
    read = documents.links(service, "GET /api/v1/tasks/{task_id}", 200)
    assert set(read) == {"update_task", "move_task", "archive_task", "restore_task", "delete_task"}
