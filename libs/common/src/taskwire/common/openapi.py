"""What every service's OpenAPI document says about its answers, said once: the problem+json
schema (RFC 9457) of every error, `responses=` for the statuses a route or router can answer,
links that chain a create to what reads, changes and deletes it, and readable operation ids.

A client (or a fuzzer) trusts the document: each status a route can answer is declared, with
the content type it really has.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.routing import APIRoute

from taskwire.common.errors import PROBLEM_JSON, TYPE_PREFIX

Responses = dict[int | str, dict[str, Any]]

PROBLEM_SCHEMA: Final[dict[str, Any]] = {
    "title": "Problem",
    "description": "An error (RFC 9457); members beyond these are extensions of its type.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": f"stable: {TYPE_PREFIX}<slug>"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "the path of the request"},
    },
    "additionalProperties": True,
}
VALIDATION_PROBLEM_SCHEMA: Final[dict[str, Any]] = {
    "title": "ValidationProblem",
    "description": "A request the service cannot process; `errors` lists each invalid field.",
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {
            "type": "object",
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["loc", "msg", "type"],
                        "properties": {
                            "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                    },
                }
            },
        },
    ],
}
SCHEMAS: Final = {"Problem": PROBLEM_SCHEMA, "ValidationProblem": VALIDATION_PROBLEM_SCHEMA}

RETRY_AFTER: Final = {
    "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
}
_HEADERS: Final[dict[int, dict[str, Any]]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: RETRY_AFTER,
    503: RETRY_AFTER,
}
DESCRIPTIONS: Final = {
    400: "The request is malformed: a body that is not JSON, a cursor not from a previous page",
    401: "No valid bearer token",
    403: "The caller's role does not allow this",
    404: "No such resource, or not one the caller may see",
    409: "The change conflicts with the current state",
    412: "If-Match names a version that is not the current one (`current_version` has it)",
    413: "The request body is too large",
    422: "The request is not valid (`errors` lists each invalid field) or breaks a rule",
    428: "This change needs If-Match",
    429: "Too many of the caller's requests are waiting; retry after Retry-After",
    500: "The service failed to handle the request",
    503: "The service (or one it depends on) is overloaded or unreachable; retry after Retry-After",
}

# The answers of each kind of route besides its own.
EVERY_ROUTE: Final = (413, 500)  # the body limit and an unhandled error: probes included
API: Final = (401, 422, 429, 503)  # the routes behind a token, each taking its turn (admission)

# Link parameters: the created entity's id, and the version an answer carries.
ETAG: Final = {"header.if-match": "$response.header.ETag"}


def problems(*statuses: int) -> Responses:
    """`responses=` declaring each status a problem+json answer, with the headers it carries."""
    return {status: problem(status) for status in statuses}


def problem(status: int, description: str | None = None) -> dict[str, Any]:
    """One problem+json answer, with the headers it carries; `description` for a status (or a
    meaning) of a service's own, else the shared one."""
    schema = "ValidationProblem" if status == 422 else "Problem"
    response: dict[str, Any] = {
        "description": description or DESCRIPTIONS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def links(status: int, **targets: dict[str, str]) -> Responses:
    """`responses=` entry linking the `status` answer to the operations named (by operation id),
    each given its parameters as runtime expressions (`$response.body#/id`, `ETAG`)."""
    return {
        status: {
            "links": {
                target: {"operationId": target, "parameters": parameters}
                for target, parameters in targets.items()
            }
        }
    }


def operation_id(route: APIRoute) -> str:
    """The handler's name (`get_project`): unique within a service, and what links name."""
    return route.name


def document(app: FastAPI) -> None:
    """Put the problem schemas the declared answers refer to into the app's document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        schema = build()
        if fresh:
            schema.setdefault("components", {}).setdefault("schemas", {}).update(SCHEMAS)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
