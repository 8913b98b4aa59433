"""Overload is shed, at once and fairly: a bounded number of requests run, the rest wait their
turn in a queue per caller, taken round-robin, for a bounded time.

Without it a flood queues without limit inside the service: every request, the flood's and its
neighbours', waits behind all of it and times out together. With it a caller who sends more than
its share only lengthens its own queue, and is told so (429) once that queue is full; the
service as a whole answers 503 once the wait would be too long. Both carry `Retry-After`.

How many run at once adapts to the event loop: a loop that wakes late is saturated, and every
request more it takes on only slows the ones it has (a neighbour's included), and leaves no time
to turn the excess away. So the bound shrinks while the loop is late and grows again, up to its
ceiling, while requests wait and the loop keeps time: requests that mostly wait on I/O get many
slots, requests that burn CPU few.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

from taskwire.common.errors import RETRY_AFTER_SECONDS, problem_response

# Probes and scrapes are answered whatever the load: they are how an operator sees it.
UNMETERED: Final = frozenset({"/livez", "/readyz", "/metrics"})


@dataclass(frozen=True, slots=True)
class AdmissionLimits:
    in_flight: int  # the most requests worked on at once
    queued_per_caller: int  # waiting requests of one caller; beyond: 429
    queued: int  # waiting requests in all; beyond: 503
    wait_seconds: float  # the longest a request waits for its turn; beyond: 503
    loop_lag_seconds: float = 0.01  # the loop this late is saturated: fewer at once
    least_in_flight: int = 2


# How often the loop's lateness is read, and how the bound moves: down by a quarter while late,
# up by one a reading while requests wait and the loop keeps time.
LAG_READING_SECONDS: Final = 0.05
BACK_OFF: Final = 0.75


class Shed(Exception):
    def __init__(self, status: int, slug: str, title: str, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.retry_after = retry_after


class Admission:
    """The turnstile. Single event loop, so plain counters need no lock."""

    def __init__(self, limits: AdmissionLimits) -> None:
        self.limits = limits
        self.in_flight = 0
        # The bound now, between the least and the ceiling. It starts low and is earned: a burst
        # let in at the ceiling would saturate the loop before its lateness could be read.
        self._least = float(min(limits.least_in_flight, limits.in_flight))
        self.allowed = self._least
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()
        self._queued = 0
        # Whether any request had to wait since the last reading: a short burst at a low rate
        # has come and gone by the time the loop is read, and should still earn a slot.
        self._waited = False

    async def watch_loop(self) -> None:
        """Read the loop's lateness for ever, moving the bound by it."""
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + LAG_READING_SECONDS
            await asyncio.sleep(LAG_READING_SECONDS)
            self.adjust(loop.time() - due)

    def adjust(self, lag: float) -> None:
        limits = self.limits
        waited, self._waited = self._waited, False
        if lag > limits.loop_lag_seconds:
            self.allowed = max(self._least, self.allowed * BACK_OFF)
        elif self._waiting or waited:
            self.allowed = min(float(limits.in_flight), self.allowed + 1)
            while self.in_flight < int(self.allowed) and self._hand_over():
                self.in_flight += 1

    async def enter(self, caller: str) -> None:
        if self.in_flight < int(self.allowed) and not self._waiting:
            self.in_flight += 1
            return
        limits = self.limits
        mine = self._waiting.get(caller)
        if mine is not None and len(mine) >= limits.queued_per_caller:
            raise Shed(
                429,
                "too-many-requests",
                "Too many requests",
                f"more than {limits.queued_per_caller} of your requests are waiting; slow down",
                RETRY_AFTER_SECONDS,
            )
        if self._queued >= limits.queued:
            raise self._busy()
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(caller, deque()).append(turn)
        self._waited = True
        self._queued += 1
        try:
            async with asyncio.timeout(limits.wait_seconds):
                await turn
        except BaseException as exc:
            if turn.done() and not turn.cancelled():
                self.leave()  # the turn came just as the wait ended: pass it on
            else:
                self._withdraw(caller, turn)
            if isinstance(exc, TimeoutError):
                raise self._busy() from None
            raise

    def leave(self) -> None:
        """A request is done: its slot goes to the next caller in turn, or is freed (also when
        the bound has shrunk below what runs)."""
        if self.in_flight > int(self.allowed) or not self._hand_over():
            self.in_flight -= 1

    def _hand_over(self) -> bool:
        """Give a slot to the next caller in turn; False when nobody is waiting."""
        while self._waiting:
            caller, queue = next(iter(self._waiting.items()))
            turn = queue.popleft()
            self._queued -= 1
            if queue:
                self._waiting.move_to_end(caller)  # round-robin: this caller goes to the back
            else:
                del self._waiting[caller]
            if not turn.done():
                turn.set_result(None)
                return True
        return False

    def _withdraw(self, caller: str, turn: asyncio.Future[None]) -> None:
        queue = self._waiting.get(caller)
        if queue is None or turn not in queue:
            return
        queue.remove(turn)
        self._queued -= 1
        if not queue:
            del self._waiting[caller]
        turn.cancel()

    def _busy(self) -> Shed:
        return Shed(
            503,
            "unavailable",
            "Service unavailable",
            "the service is at capacity; retry after the time in Retry-After",
            RETRY_AFTER_SECONDS,
        )


def caller_key(scope: Scope) -> str:
    """Whose request this is: its bearer credential where there is one (cheap, and a forged one
    only spends the forger's own share), else its address as the gateway saw it."""
    real_ip: str | None = None
    name: bytes
    value: bytes
    for name, value in scope["headers"]:
        if name == b"authorization":
            return "token:" + value.decode("latin-1")
        if name == b"x-real-ip":
            real_ip = value.decode("latin-1")
    client = scope.get("client")
    address: str = real_ip or (client[0] if client else "unknown")
    return "address:" + address


class ShedOverload:
    """The ASGI side of `Admission`: every HTTP request but the probes takes a turn."""

    def __init__(self, app: ASGIApp, admission: Admission) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNMETERED:
            await self.app(scope, receive, send)
            return
        try:
            await self.admission.enter(caller_key(scope))
        except Shed as shed:
            response = problem_response(
                shed.status,
                shed.slug,
                shed.title,
                shed.detail,
                scope["path"],
                {"Retry-After": str(shed.retry_after)},
            )
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.admission.leave()
