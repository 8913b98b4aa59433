"""A session lasts as long as its token: until the token's `exp` plus the leeway every service
allows for clock skew, unless the client sends a fresh token of the same user before then.

A fresh token that does not verify, or names another user, is refused (and the session ends):
its rooms were let in for one user, and a page that now speaks for another must connect anew.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import jwt

from taskwire.common.auth import Caller, TokenVerifier
from taskwire.common.errors import Unauthenticated


def expires_at(token: str) -> float:
    """The token's `exp`, in seconds since the epoch. Only for a token that has verified: its
    signature is not checked again."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return float(claims["exp"])


class Credentials:
    """Who the session speaks for, with which token; calls `expired` once it has run out."""

    def __init__(
        self,
        caller: Caller,
        verifier: TokenVerifier,
        leeway_seconds: float,
        expired: Callable[[], None],
    ) -> None:
        self.caller = caller
        self._verifier = verifier
        self._leeway = leeway_seconds
        self._expired = expired
        self._timer: asyncio.TimerHandle | None = None
        self._follow(caller.token)

    async def renew(self, token: object) -> float:
        """Go on with `token` (its `exp`), or Unauthenticated."""
        if not isinstance(token, str) or not token:
            raise Unauthenticated("auth needs a token")
        caller = await self._verifier.verify(token)
        if caller.user_id != self.caller.user_id:
            raise Unauthenticated("a token of another user: connect again with it")
        self.caller = caller  # rooms joined from now on are asked for with the fresh token
        return self._follow(token)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _follow(self, token: str) -> float:
        self.cancel()
        exp = expires_at(token)
        # call_later, not call_at: the loop's clock is monotonic, `exp` is wall-clock time.
        delay = max(0.0, exp + self._leeway - time.time())
        self._timer = asyncio.get_running_loop().call_later(delay, self._expired)
        return exp
