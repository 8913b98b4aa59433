"""Schemathesis sends its requests with `requests`, which speaks no WebSocket: after a 101 it puts
the connection back in its pool and sends a later request's HTTP down the WebSocket, which the
server rightly closes as a protocol error (the client then reads a close frame as an answer).
A client that will not speak WebSocket must hang up after a 101; this one is made to."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import requests
import schemathesis
from schemathesis import Case
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER, HookContext


def _hang_up(response: requests.Response, **_: Any) -> None:
    if response.status_code == 101:
        response.raw.close()  # closes its connection too: the pool opens a fresh one next


def before_call(context: HookContext, case: Case[Any], kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("hooks", {"response": [_hang_up]})


@contextlib.contextmanager
def hanging_up_after_upgrades() -> Iterator[None]:
    """While the block runs, every request schemathesis sends hangs up after a 101."""
    schemathesis.hook(before_call)
    try:
        yield
    finally:
        GLOBAL_HOOK_DISPATCHER.unregister(before_call)
