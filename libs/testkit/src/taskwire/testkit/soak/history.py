"""What the clients asked and what they were told: the record every check starts from."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum


class Outcome(Enum):
    ACKNOWLEDGED = "acknowledged"  # a 2xx: the write is promised
    REFUSED = "refused"  # a 4xx: the write did not happen (412, 404, 409...)
    FAILED = "failed"  # a 5xx, a timeout or a broken connection: it may or may not have happened


@dataclass
class Call:
    kind: str
    started: float
    outcome: Outcome
    status: int | None  # None: no answer at all
    retries: int = 0


@dataclass
class History:
    calls: list[Call] = field(default_factory=list)
    # Answers that no fault excuses: a 5xx other than 503 (with the time it came).
    bad_answers: list[tuple[float, str, int]] = field(default_factory=list)

    def record(self, call: Call) -> None:
        self.calls.append(call)

    def answered(self, kind: str, status: int) -> None:
        if status >= 500 and status != 503:
            self.bad_answers.append((time.monotonic(), kind, status))

    def by_kind(self) -> dict[str, Counter[str]]:
        """Per kind of operation: attempted, each outcome, and retries."""
        table: dict[str, Counter[str]] = {}
        for call in self.calls:
            row = table.setdefault(call.kind, Counter())
            row["attempted"] += 1
            row[call.outcome.value] += 1
            row["retried"] += call.retries
        return table
