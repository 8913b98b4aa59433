"""Each HTTP request's latency and SQL statement count, by route template and status, and the
`/metrics` route that exposes every figure of the service."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskwire.common.metrics import CONTENT_TYPE, ServiceMetrics
from taskwire.common.querylog import counting_statements

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    service_metrics: ServiceMetrics = request.app.state.metrics
    return Response(service_metrics.exposition(), media_type=CONTENT_TYPE)


class RequestMetrics:
    """A plain ASGI middleware (no per-request task or body copy, as BaseHTTPMiddleware has).
    The route is the matched template (`/api/v1/tasks/{task_id}`), never the raw path: one
    series per route, however many tasks there are."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.duration = metrics.http_duration
        self.statements = metrics.http_statements

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client sees if the app raises before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        with counting_statements() as statements:
            try:
                await self.app(scope, receive, sending)
            finally:
                route = _template(scope)
                method = scope["method"]
                elapsed = time.perf_counter() - started
                self.duration.labels(method, route, str(status)).observe(elapsed)
                self.statements.labels(method, route).observe(statements.n)


def _template(scope: Scope) -> str:
    """The matched route's template, prefixes included: the path with each path parameter's
    value put back as `{name}` (the matched route object knows only its own part of the path
    when it sits in an included router)."""
    if scope.get("route") is None:
        return "unmatched"
    path: str = scope["path"]
    params = scope.get("path_params") or {}
    if not params:
        return path
    names = {str(value): name for name, value in params.items()}
    return "/".join(f"{{{names[part]}}}" if part in names else part for part in path.split("/"))
