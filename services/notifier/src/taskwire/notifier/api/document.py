"""The notifier's OpenAPI document, served at /openapi.json: its plain HTTP routes and the
WebSocket handshake on /ws, with every answer each can give. /livez and /readyz are declared
as on every service (the shared health routes); errors are problems of the shared schema."""

from __future__ import annotations

from typing import Any, Final

from fastapi.openapi.utils import get_openapi

from taskwire.common import health
from taskwire.common.metrics import CONTENT_TYPE
from taskwire.common.openapi import PROBLEM_SCHEMA, RETRY_AFTER, Responses, problem

DESCRIPTION: Final = (
    "The live feed: `GET /ws` opens the WebSocket (its protocol is in docs/notifier.md); the "
    "other routes are plain HTTP. Any other path answers 404, and any method but GET 405 "
    "(`Allow: GET`), as problems. A request with a body is not a handshake: the connection is "
    "closed unanswered."
)
# What any request may be answered with besides its route's own answers.
EVERY_ROUTE: Final[Responses] = {
    414: problem(414, "The request line is over 8 KiB"),
    431: problem(431, "A header line is over 8 KiB, or the request has over 128 headers"),
    500: problem(500, "The notifier failed to handle the request"),
}
_TEXT: Final = {"schema": {"type": "string"}}


def document(origins_checked: bool) -> dict[str, Any]:
    """The whole document; `origins_checked` when handshakes from other sites' pages are
    refused (production), which only then answer 403."""
    schema = get_openapi(
        title="Taskwire notifier",
        summary="The live feed: every event to the WebSocket clients of its rooms",
        description=DESCRIPTION,
        version="1",
        routes=health.router.routes,
    )
    paths: dict[str, Any] = schema["paths"]
    paths["/readyz"]["get"]["responses"]["503"]["headers"] = RETRY_AFTER
    paths["/metrics"] = _get("metrics", {200: _ok("Prometheus exposition", CONTENT_TYPE)})
    paths["/openapi.json"] = _get(
        "openapi", {200: _ok("This document", "application/json", {"type": "object"})}
    )
    paths["/ws"] = _get("ws", _handshake(origins_checked))
    paths["/ws"]["get"]["parameters"] = _HANDSHAKE_HEADERS
    for path in ("/livez", "/readyz"):
        operation = paths[path]["get"]
        operation["operationId"] = path.lstrip("/")  # the handler's name, as on every service
        operation["responses"].update({str(k): v for k, v in EVERY_ROUTE.items()})
    schema["components"] = {"schemas": {"Problem": PROBLEM_SCHEMA}}
    return schema


def _get(name: str, responses: Responses) -> dict[str, Any]:
    answers = {str(status): answer for status, answer in {**responses, **EVERY_ROUTE}.items()}
    return {"get": {"operationId": name, "responses": answers}}


def _ok(description: str, content_type: str, shape: dict[str, Any] | None = None) -> Any:
    return {"description": description, "content": {content_type: {"schema": shape or _TEXT}}}


def _handshake(origins_checked: bool) -> Responses:
    upgrade = {"description": "websocket", "schema": {"type": "string"}}
    answers: Responses = {
        101: {
            "description": "The WebSocket is open; frames follow (see docs/notifier.md)",
            "headers": {
                "Upgrade": upgrade,
                "Connection": {"description": "Upgrade", "schema": {"type": "string"}},
                "Sec-WebSocket-Accept": {"schema": {"type": "string"}},
            },
        },
        400: problem(400, "Not a valid handshake: a Sec-WebSocket-* header missing or wrong"),
        426: problem(426, "Not an upgrade: Connection: Upgrade or Upgrade: websocket missing"),
        505: problem(505, "The handshake came over HTTP/1.0; a WebSocket needs HTTP/1.1"),
        503: problem(503, "The notifier is shutting down; connect again after Retry-After"),
    }
    answers[426]["headers"] = {"Upgrade": upgrade}
    if origins_checked:
        answers[403] = problem(403, "A browser page of an origin not allowed to connect")
    return answers


def _header(name: str, schema: dict[str, Any], description: str, required: bool = True) -> Any:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": schema,
    }


_HANDSHAKE_HEADERS: Final = [
    _header("Connection", {"type": "string", "example": "Upgrade"}, "lists Upgrade"),
    _header("Upgrade", {"type": "string", "example": "websocket"}, "websocket"),
    _header(
        "Sec-WebSocket-Key",
        {"type": "string", "pattern": "^[A-Za-z0-9+/]{21}[AQgw]==$"},
        "16 random bytes, base64",
    ),
    _header("Sec-WebSocket-Version", {"type": "string", "enum": ["13"]}, "13"),
    _header(
        "Origin",
        {"type": "string", "maxLength": 2048},
        "a browser's page origin (checked in production)",
        required=False,
    ),
    _header(
        "Authorization",
        {"type": "string", "maxLength": 4096},
        "Bearer <JWT>; or the token in the first message",
        required=False,
    ),
]
