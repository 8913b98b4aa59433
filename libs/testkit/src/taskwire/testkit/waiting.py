"""Wait for a condition with a deadline instead of sleeping a fixed time and hoping."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
async def eventually(
    probe: Callable[[], Awaitable[T]],
    *,
    timeout: float = ...,
    interval: float = ...,
    what: str = ...,
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], T], *, timeout: float = ..., interval: float = ..., what: str = ...
) -> T: ...


async def eventually(
    probe: Callable[[], Any],
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    what: str = "condition",
) -> Any:
    """Poll `probe` (sync or async) until it returns a truthy value; return that value, or fail
    once the deadline has passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = probe()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() >= deadline:
            raise AssertionError(f"{what} not reached within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)


async def eventually_equals(
    probe: Callable[[], Awaitable[T]], expected: T, *, timeout: float = 10.0, what: str = "value"
) -> None:
    """Poll an async `probe` until it returns `expected`."""
    last: list[T] = []

    async def matches() -> bool:
        last[:] = [await probe()]
        return last[0] == expected

    try:
        await eventually(matches, timeout=timeout, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{what}: expected {expected!r}, last {last[0]!r}") from exc
