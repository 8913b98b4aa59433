"""The notifier's plain HTTP routes on its WebSocket port: /livez, /readyz, /metrics and
/openapi.json, answered before any upgrade (websockets' `process_request`); /ws goes on to the
handshake. Any other path is a 404 problem, any other method a 405 one."""

from __future__ import annotations

import http
from collections.abc import Mapping

import orjson
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from taskwire.common.errors import RETRY_AFTER_SECONDS
from taskwire.common.health import ReadinessCheck, readiness, readiness_body
from taskwire.common.metrics import CONTENT_TYPE, ServiceMetrics
from taskwire.notifier.api.document import document
from taskwire.notifier.api.problems import problem, response

JSON = "application/json"
PATHS = frozenset({"/ws", "/livez", "/readyz", "/metrics", "/openapi.json"})


class Routes:
    def __init__(
        self,
        checks: Mapping[str, ReadinessCheck],
        metrics: ServiceMetrics,
        origins_checked: bool,
    ) -> None:
        """`origins_checked` when a handshake from another site's page is refused (403)."""
        self.checks = checks
        self.metrics = metrics
        # Built and encoded once, at start-up: it never changes.
        self.document = orjson.dumps(document(origins_checked))

    async def __call__(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path not in PATHS:
            return problem(http.HTTPStatus.NOT_FOUND, f"no route {path}", path)
        if request.method != "GET":
            detail = f"{path} answers GET, not {request.method}"
            return problem(http.HTTPStatus.METHOD_NOT_ALLOWED, detail, path, {"Allow": "GET"})
        if path == "/ws":
            return None
        if path == "/livez":
            return _ok(orjson.dumps({"status": "ok"}), JSON)
        if path == "/readyz":
            ready, report = await readiness(self.checks)
            if ready:
                return _ok(readiness_body(ready, report), JSON)
            # Like every 503 of the system, it says when to ask again.
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            body = readiness_body(ready, report)
            return response(http.HTTPStatus.SERVICE_UNAVAILABLE, body, JSON, retry)
        if path == "/metrics":
            return _ok(self.metrics.exposition(), CONTENT_TYPE)
        return _ok(self.document, JSON)


def _ok(payload: bytes, content_type: str) -> Response:
    return response(http.HTTPStatus.OK, payload, content_type, {})
