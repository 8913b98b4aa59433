"""How fast a client may send: a token bucket per connection."""

from __future__ import annotations

import time


class MessageRate:
    """`per_second` messages a second on average, in bursts of up to twice that."""

    def __init__(self, per_second: float) -> None:
        self._rate = per_second
        self._tokens = 2 * per_second
        self._refilled = time.monotonic()

    def take(self) -> bool:
        """Count one message; False when it is one too many."""
        now = time.monotonic()
        self._tokens = min(2 * self._rate, self._tokens + (now - self._refilled) * self._rate)
        self._refilled = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
