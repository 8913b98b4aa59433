"""The projects service's OpenAPI document declares every status each route answers, errors as
problem+json, and links a create to what reads, changes and deletes what it made."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from taskwire.projects.app import create_app
from taskwire.projects.settings import ProjectsSettings
from tests.support import documents

# Beyond 413 and 500 (every route) and 401, 422, 429 and 503 (every API route).
OWN_STATUSES = {
    "GET /livez": {200},
    "GET /readyz": {200, 503},
    "POST /api/v1/workspaces": {201, 400, 409},
    "GET /api/v1/workspaces": {200, 400},
    "GET /api/v1/workspaces/{workspace_id}": {200, 404},
    "PATCH /api/v1/workspaces/{workspace_id}": {200, 400, 403, 404, 409, 412},
    "GET /api/v1/workspaces/{workspace_id}/members": {200, 400, 404},
    "POST /api/v1/workspaces/{workspace_id}/members": {201, 400, 403, 404, 409},
    "GET /api/v1/workspaces/{workspace_id}/members/{user_id}": {200, 404},
    "PATCH /api/v1/workspaces/{workspace_id}/members/{user_id}": {200, 400, 403, 404, 409, 412},
    "DELETE /api/v1/workspaces/{workspace_id}/members/{user_id}": {204, 400, 403, 404, 409, 412},
    "POST /api/v1/workspaces/{workspace_id}/projects": {201, 400, 403, 404, 409},
    "GET /api/v1/workspaces/{workspace_id}/projects": {200, 400, 404},
    "GET /api/v1/projects/{project_id}": {200, 404},
    "PATCH /api/v1/projects/{project_id}": {200, 400, 403, 404, 409, 412},
    "DELETE /api/v1/projects/{project_id}": {204, 400, 403, 404, 412},
    "POST /api/v1/projects/{project_id}/archive": {200, 400, 403, 404, 412},
    "POST /api/v1/projects/{project_id}/restore": {200, 400, 403, 404, 412},
    "GET /api/v1/projects/{project_id}/statuses": {200, 404},
    "POST /api/v1/projects/{project_id}/statuses": {201, 400, 403, 404, 409},
    "PATCH /api/v1/statuses/{status_id}": {200, 400, 403, 404, 412},
    "DELETE /api/v1/statuses/{status_id}": {204, 400, 403, 404, 409, 412},
    "POST /api/v1/dev/tokens": {201, 400},
    "GET /internal/v1/workspaces/{workspace_id}/roster": {200, 404},
}


@pytest.fixture(scope="module")
def service() -> FastAPI:
    """The app as built, never started: its document needs nothing running."""
    return create_app(ProjectsSettings(environment="development"))


def test_each_route_declares_what_it_answers(service: FastAPI) -> None:
    documents.assert_declares(service, OWN_STATUSES)


def test_every_write_takes_a_client_mutation_id(service: FastAPI) -> None:
    writes = documents.api_writes(service) - {"POST /api/v1/dev/tokens"}  # writes no event
    assert documents.taking_header(service, "X-Client-Mutation-Id") == writes


def test_links_chain_a_create_to_its_read_change_and_delete(service: FastAPI) -> None:
    made = documents.links(service, "POST /api/v1/workspaces/{workspace_id}/projects", 201)
    assert made["get_project"] == {"project_id": "$response.body#/id"}
    assert made["delete_project"]["header.if-match"] == "$response.header.ETag"
    read = documents.links(service, "GET /api/v1/projects/{project_id}", 200)
    assert {"update_project", "delete_project", "delete_status"} <= set(read)
