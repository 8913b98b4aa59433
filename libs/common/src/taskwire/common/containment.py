"""An error hurts only its own request.

Starlette answers an unhandled error with a 500 and then raises it again, and uvicorn closes a
connection whose application raised: the gateway's pooled upstream connection dies under the
next caller's request, who is then answered 502 for someone else's error. Here the error is
answered and logged (without the data it may quote) and goes no further, so the connection
stays open for the next request.

Errors that mean "a dependency is busy or away" are not bugs: a pool with no free connection
for a bounded wait, or a database that cannot be reached, answer 503 with `Retry-After`.
"""

from __future__ import annotations

import logging

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskwire.common.errors import RETRY_AFTER_SECONDS, ServiceUnavailable, problem_response

log = logging.getLogger(__name__)

# What the raw driver raises (the precompiled statements run on it, not through SQLAlchemy, whose
# `connection_invalidated` says the same) when the server ended the session or cannot take one:
# the connection is then discarded, and the next attempt gets a live one.
_SESSION_LOST = (
    asyncpg.InterfaceError,  # "connection is closed"
    asyncpg.InternalClientError,  # the protocol's state, broken by a session ended mid-statement
    asyncpg.PostgresConnectionError,  # class 08
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
)


def _unavailable(exc: BaseException) -> str | None:
    """Why `exc` means a dependency is busy or unreachable, or None when it is a fault."""
    if isinstance(exc, PoolTimeout):
        return "every database connection is busy; retry after the time in Retry-After"
    if _session_lost(exc):
        return "the database connection was lost; retry after the time in Retry-After"
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return "a service this request needs is not answering; retry after the time in Retry-After"
    return None


def _session_lost(exc: BaseException) -> bool:
    """A session the server ended or would not open (restarting, shut down), raised by the raw
    driver or by SQLAlchemy around it: its translation keeps the driver's error as the cause."""
    seen: BaseException | None = exc
    for _ in range(5):  # a translation wraps a few times at most
        if seen is None:
            return False
        if isinstance(seen, _SESSION_LOST):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        seen = seen.__cause__ or (seen.orig if isinstance(seen, DBAPIError) else None)
    return False


class ContainErrors:
    """The outermost of the service's own middleware: whatever escapes the routes and the other
    middleware ends here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            path = scope["path"]
            reason = _unavailable(exc)
            if reason is not None:
                log.warning("%s %s: %s (%s)", scope["method"], path, reason, type(exc).__name__)
            else:
                log.error("unhandled error on %s %s", scope["method"], path, exc_info=exc)
            if started:
                # Half an answer is on the wire: only closing tells the client it is broken.
                raise
            if reason is not None:
                unavailable = ServiceUnavailable
                response = problem_response(
                    503,
                    unavailable.slug,
                    unavailable.title,
                    reason,
                    path,
                    {"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            else:
                response = problem_response(
                    500,
                    "internal",
                    "Internal error",
                    "the service failed to handle this request",
                    path,
                )
            await response(scope, receive, send)
