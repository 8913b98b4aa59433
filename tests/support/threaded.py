"""An async context (services serving over HTTP) held open on an event loop of its own thread,
for synchronous tests: a fuzzer's blocking client calls them while their loop goes on serving."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

T = TypeVar("T")


@contextlib.contextmanager
def held_in_thread(
    open_context: Callable[[], AbstractAsyncContextManager[T]], *, timeout: float = 120
) -> Iterator[T]:
    """Enter `open_context()` on a new thread's loop, yield what it gives, then leave it there."""
    entered: Future[T] = Future()
    left: Future[None] = Future()
    loop = asyncio.new_event_loop()
    release = asyncio.Event()

    async def hold() -> None:
        async with open_context() as value:
            entered.set_result(value)
            await release.wait()

    def run() -> None:
        try:
            loop.run_until_complete(hold())
        except BaseException as exc:  # reported to whichever side is waiting
            if not entered.done():
                entered.set_exception(exc)
            left.set_exception(exc)
        else:
            left.set_result(None)
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="held-in-thread", daemon=True)
    thread.start()
    value = entered.result(timeout=timeout)  # what opening raised, once its loop has ended
    try:
        yield value
    finally:
        loop.call_soon_threadsafe(release.set)
        left.result(timeout=timeout)
        thread.join(timeout=timeout)
