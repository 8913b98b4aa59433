"""The notifier's plain HTTP routes on its WebSocket port: /livez, /readyz and /metrics, answered
before any upgrade (websockets' `process_request`); /ws goes on to the handshake."""

from __future__ import annotations

import http
from collections.abc import Mapping

import orjson
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from taskwire.common.health import ReadinessCheck, readiness, readiness_body
from taskwire.common.metrics import CONTENT_TYPE, ServiceMetrics


class Routes:
    def __init__(self, checks: Mapping[str, ReadinessCheck], metrics: ServiceMetrics) -> None:
        self.checks = checks
        self.metrics = metrics

    async def __call__(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path == "/ws":
            return None
        if path == "/livez":
            return _json(http.HTTPStatus.OK, {"status": "ok"})
        if path == "/readyz":
            ready, report = await readiness(self.checks)
            status = http.HTTPStatus.OK if ready else http.HTTPStatus.SERVICE_UNAVAILABLE
            return _response(status, readiness_body(ready, report), "application/json")
        if path == "/metrics":
            return _response(http.HTTPStatus.OK, self.metrics.exposition(), CONTENT_TYPE)
        return _json(http.HTTPStatus.NOT_FOUND, {"status": 404, "title": "Not Found"})


def _json(status: http.HTTPStatus, body: object) -> Response:
    return _response(status, orjson.dumps(body), "application/json")


def _response(status: http.HTTPStatus, payload: bytes, content_type: str) -> Response:
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(payload)))])
    return Response(status.value, status.phrase, headers, payload)
