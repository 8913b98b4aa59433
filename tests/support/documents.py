"""A service's OpenAPI document read back by the tests that pin what it declares: each route's
own statuses (beyond those every route and every API route declare), errors as problem+json,
and the links a fuzzer follows. Built from the app alone: no database, no server."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from taskwire.common.errors import PROBLEM_JSON
from taskwire.common.openapi import API, EVERY_ROUTE

PROBES = frozenset({"/livez", "/readyz"})
# API routes that take no token, so never answer 401.
TOKENLESS = frozenset({"/api/v1/dev/tokens"})


def operations(app: FastAPI) -> dict[str, dict[str, Any]]:
    """Each operation by its label, `GET /api/v1/tasks/{task_id}`."""
    return {
        f"{method.upper()} {path}": operation
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    }


def statuses_of_their_own(app: FastAPI) -> dict[str, set[int]]:
    """What each operation declares besides what all routes (or all API routes) declare."""
    found: dict[str, set[int]] = {}
    for label, operation in operations(app).items():
        path = label.split()[1]
        api = set() if path in PROBES else set(API) - ({401} if path in TOKENLESS else set())
        shared = set(EVERY_ROUTE) | api
        declared = {int(status) for status in operation["responses"]}
        assert shared <= declared, f"{label} lacks {shared - declared}"
        found[label] = declared - shared
    return found


def assert_errors_are_problems(app: FastAPI) -> None:
    """Every error an API route declares is problem+json, of the shared schema."""
    for label, operation in operations(app).items():
        for status, response in operation["responses"].items():
            if int(status) < 400 or label == "GET /readyz":
                continue
            schema = "ValidationProblem" if status == "422" else "Problem"
            assert response["content"] == {
                PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}
            }, (label, status)
    assert {"Problem", "ValidationProblem"} <= set(app.openapi()["components"]["schemas"])


def api_writes(app: FastAPI) -> set[str]:
    """The operations under /api/v1 that change something."""
    return {
        label
        for label in operations(app)
        if label.split()[0] in ("POST", "PUT", "PATCH", "DELETE") and "/api/v1/" in label
    }


def taking_header(app: FastAPI, name: str) -> set[str]:
    """The operations that take the request header `name`."""
    return {
        label
        for label, operation in operations(app).items()
        if any(p["in"] == "header" and p["name"] == name for p in operation.get("parameters", []))
    }


def assert_declares(app: FastAPI, own_statuses: dict[str, set[int]]) -> None:
    """Each route declares `own_statuses` besides the shared ones; every error is a problem;
    every link names a real operation and parameters it takes."""
    assert statuses_of_their_own(app) == own_statuses
    assert_errors_are_problems(app)
    assert_links_resolve(app)


def links(app: FastAPI, label: str, status: int) -> dict[str, dict[str, str]]:
    """The operations an answer links to, each with its parameters."""
    answer = operations(app)[label]["responses"][str(status)]
    return {name: link["parameters"] for name, link in answer.get("links", {}).items()}


def assert_links_resolve(app: FastAPI) -> None:
    """Each link names an operation of the document and only parameters it takes."""
    by_id = {op["operationId"]: op for op in operations(app).values()}
    for label, operation in operations(app).items():
        for status, answer in operation["responses"].items():
            for name, link in answer.get("links", {}).items():
                target = by_id.get(link["operationId"])
                assert target is not None, (label, status, name)
                taken = {f"{p['in']}.{p['name']}" for p in target.get("parameters", [])}
                for parameter in link["parameters"]:
                    qualified = parameter if "." in parameter else f"path.{parameter}"
                    if qualified not in taken:
                        qualified = f"query.{parameter}"
                    assert qualified in taken, (label, name, parameter)
