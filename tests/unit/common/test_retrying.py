"""A consumer's retries in place: a handler that fails after a transient error is never taken
for one that succeeded."""

from __future__ import annotations

import pytest

from taskwire.common.broker import QueueSpec
from taskwire.common.consumer import retrying


async def test_a_retry_that_ends_in_stop_async_iteration_is_a_failure_not_a_success() -> None:
    attempts = 0

    async def apply() -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionRefusedError("the database is restarting")
        raise StopAsyncIteration  # what aiormq raises when a socket ends between two frames

    with pytest.raises(RuntimeError, match="StopAsyncIteration"):
        await retrying(apply, QueueSpec("q", ("#",)))
    assert attempts == 2
