"""Every error answers `application/problem+json` (RFC 9457) with a stable `type`."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskwire.common.problems import (
    RESERVED_MEMBERS,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    Problem,
    ServiceUnavailable,
    TooManyRequests,
    Unauthenticated,
    Unprocessable,
)

# The problems are framework-free (a domain raises them); re-exported here for the routes.
__all__ = [
    "PROBLEM_JSON",
    "RESERVED_MEMBERS",
    "RETRY_AFTER_SECONDS",
    "TYPE_PREFIX",
    "BadRequest",
    "BodySizeLimit",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "Problem",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthenticated",
    "Unprocessable",
    "install_problem_handlers",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:taskwire:problem:"


# Overload passes in moments: a client told to wait longer would leave capacity idle.
RETRY_AFTER_SECONDS = 1


_SLUG_BY_STATUS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "unprocessable",
    428: "precondition-required",
    429: "too-many-requests",
}


_PROBLEM_BY_STATUS: dict[int, type[Problem]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthenticated,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        Unprocessable,
        TooManyRequests,
        ServiceUnavailable,
    )
}


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    /,
    **extensions: Any,
) -> Response:
    """A problem+json answer. Extensions never overwrite the RFC 9457 members."""
    clashing = RESERVED_MEMBERS.intersection(extensions)
    if clashing:
        raise ValueError(f"problem extensions may not redefine {sorted(clashing)}")
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return Response(orjson.dumps(body), status, headers=headers, media_type=PROBLEM_JSON)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    headers = None
    if exc.status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    elif exc.status in (429, 503):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return problem_response(
        exc.status, exc.slug, exc.title, exc.detail, request.url.path, headers, **exc.extensions
    )


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    return problem_response(
        422,
        "validation",
        "Request validation failed",
        f"{where}: {first['msg']}" if where else str(first["msg"]),
        request.url.path,
        errors=errors,
    )


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    known = _PROBLEM_BY_STATUS.get(exc.status_code)
    slug = known.slug if known else _SLUG_BY_STATUS.get(exc.status_code, "error")
    title = known.title if known else slug.replace("-", " ").capitalize()
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return problem_response(
        exc.status_code, slug, title, str(exc.detail), request.url.path, headers
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)


class _BodyTooLarge(StarletteHTTPException):
    """Raised from `receive()` mid-stream. An HTTPException, because FastAPI re-raises those from
    body parsing and turns any other error into `400 There was an error parsing the body`."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")


class BodySizeLimit:
    """Refuse bodies over `max_bytes` with 413 before the application reads them.

    Content-Length is checked up front; chunked bodies are counted as they stream in.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit():
                if int(value) > self.max_bytes:
                    await self._refuse(scope, receive, send)
                    return
                # The server delivers no more than the declared length: nothing to count, and
                # no wrapper on every message of the hot path.
                await self.app(scope, receive, send)
                return
        received = 0
        started = False
        limit = self.max_bytes

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            # Normally the app's HTTPException handler has answered already; this covers a body
            # read where no handler is installed.
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            PayloadTooLarge.slug,
            PayloadTooLarge.title,
            f"request body exceeds {self.max_bytes} bytes",
            scope.get("path"),
        )
        await response(scope, receive, send)
