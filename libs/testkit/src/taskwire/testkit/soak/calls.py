"""A request made as a careful client makes it: a deadline per attempt, and on no answer (a
timeout, a broken connection, a 503, a 429) the very same request again after a pause, so a
write carries the same `Idempotency-Key` or `If-Match` every time and can apply at most once."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx

from taskwire.testkit.soak.history import Call, History, Outcome

ATTEMPT_SECONDS = 5.0
# A fault lasts up to about this long; past it, the call is given up as failed.
GIVE_UP_SECONDS = 60.0


class Caller:
    """One person's client of the gateway."""

    def __init__(self, gateway: str, token: str, history: History, rng: random.Random) -> None:
        self._http = httpx.AsyncClient(
            base_url=f"{gateway}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=ATTEMPT_SECONDS,
        )
        self._history = history
        self._rng = rng
        self.last_retries = 0  # of the last call: a write's earlier attempt may have applied

    async def close(self) -> None:
        await self._http.aclose()

    async def call(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        again: bool = True,
    ) -> httpx.Response | None:
        """The first definite answer (2xx or 4xx other than 429), or None when none came in
        time; each outcome recorded under `kind`. `again=False` for a write that is not safe to
        repeat (no key, no version): it is tried once, but for a 429 or a refused connection."""
        started = time.monotonic()
        retries = 0
        pause = 0.1
        while True:
            self.last_retries = retries
            answer = await self._attempt(kind, method, path, body, headers)
            if answer is not None and answer.status_code < 500 and answer.status_code != 429:
                outcome = Outcome.ACKNOWLEDGED if answer.is_success else Outcome.REFUSED
                self._history.record(Call(kind, started, outcome, answer.status_code, retries))
                return answer
            unsent = answer is not None and answer.status_code == 429
            if time.monotonic() - started > GIVE_UP_SECONDS or not (again or unsent):
                status = answer.status_code if answer is not None else None
                self._history.record(Call(kind, started, Outcome.FAILED, status, retries))
                return None
            retries += 1
            await asyncio.sleep(pause * (0.5 + self._rng.random()))
            pause = min(pause * 2, 2.0)

    async def _attempt(
        self, kind: str, method: str, path: str, body: Any, headers: dict[str, str] | None
    ) -> httpx.Response | None:
        try:
            answer = await self._http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError:
            return None
        self._history.answered(kind, answer.status_code)
        return answer
