"""What the database is asked, seen from the engine: slow statements logged, statements counted.

A slow statement is logged with its duration and its SQL, never its parameters (they hold the
users' data). Statements are counted into the counter of the current unit of work (an HTTP
request, say) when one is active, so a route that starts issuing a statement per row shows up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

STATEMENT_SHOWN_CHARS = 500
_STARTED = "taskwire.statement_started"


class StatementCount:
    """How many statements the unit of work has sent so far (`n`)."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


# The counter of the unit of work the running code belongs to. Each asyncio task runs in a context
# of its own, and uvicorn serves each request in a task of its own, so concurrent requests never
# see each other's counter. An ASGI middleware that sets a counter and then awaits the app is
# still in that task when the endpoint runs, so the endpoint's statements are counted into it.
# Where the app runs in a child task instead (Starlette's BaseHTTPMiddleware), the child starts
# with a copy of the context that refers to the same StatementCount object, which is why the
# counter is a mutable object rather than an int in the variable: the middleware sees the total.
# SQLAlchemy's async engine runs the sync engine's code, and so these listeners, in a greenlet
# that shares the calling task's context.
_current: ContextVar[StatementCount | None] = ContextVar("taskwire_statements", default=None)


@contextmanager
def counting_statements() -> Iterator[StatementCount]:
    """Count the statements sent in this context (and tasks started from it) until the block
    ends; then the counter that was active before, if any, is current again."""
    count = StatementCount()
    token = _current.set(count)
    try:
        yield count
    finally:
        _current.reset(token)


def watch_statements(
    engine: AsyncEngine, *, slow_ms: float, on_slow: Callable[[], None] | None = None
) -> None:
    """Count every statement `engine` sends, and log (then tell `on_slow` of) each one slower
    than `slow_ms`. Call once per engine: listeners added twice count twice."""

    def before(conn: Connection, *_: Any) -> None:
        count = _current.get()
        if count is not None:
            count.n += 1  # counted when sent: a statement that fails still cost a round trip
        # A connection runs one statement at a time, so one slot per connection is enough.
        conn.info[_STARTED] = time.perf_counter()

    def after(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        started = conn.info.get(_STARTED)
        if started is None:  # sent before the listeners were added
            return
        duration_ms = (time.perf_counter() - started) * 1000
        if duration_ms < slow_ms:
            return
        log.warning(
            "slow query",
            extra={"duration_ms": round(duration_ms, 1), "statement": _shown(statement)},
        )
        if on_slow is not None:
            on_slow()

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)


def _shown(statement: str) -> str:
    """The statement on one line, cut to a length a log line can carry."""
    flat = " ".join(statement.split())
    if len(flat) <= STATEMENT_SHOWN_CHARS:
        return flat
    return flat[:STATEMENT_SHOWN_CHARS] + "…"
