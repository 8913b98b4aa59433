"""The contended tasks: every writer edits them with the version it read (`If-Match`), so at
most one of two racing edits wins. What each was told is kept for the checker: no version given
twice, and (where no answer was lost) the last version and title are the winners'."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from taskwire.testkit.soak.calls import Caller


@dataclass
class Races:
    won: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # task -> (version, title)
    uncertain: set[str] = field(default_factory=set)  # an edit's answer was lost: count unknown

    async def race(self, caller: Caller, task_id: str, name: str, rng: random.Random) -> None:
        read = await caller.call("read", "GET", f"/tasks/{task_id}")
        if read is None or read.status_code != 200:
            return
        title = f"race {name} {uuid.uuid4().hex[:8]}"
        answer = await caller.call(
            "contended edit", "PATCH", f"/tasks/{task_id}", body={"title": title},
            headers={"If-Match": f'"{read.json()["version"]}"'},
        )  # fmt: skip
        if answer is None or (answer.status_code == 412 and caller.last_retries):
            self.uncertain.add(task_id)  # an attempt whose answer was lost may have won
        elif answer.status_code == 200:
            self.won.setdefault(task_id, []).append((answer.json()["version"], title))

    def judge(self, stored: dict[str, tuple[int, str]]) -> list[str]:
        """`stored`: each contended task's version and title as the tasks service holds them."""
        found = []
        for task_id, (version, title) in stored.items():
            wins = sorted(self.won.get(task_id, []))
            versions = [v for v, _ in wins]
            if len(set(versions)) != len(versions):
                found.append(f"contended {task_id}: one version acknowledged twice: {versions}")
            if task_id in self.uncertain:
                continue
            if version != 1 + len(wins):
                found.append(f"contended {task_id}: v{version} stored, {len(wins)} edits won")
            if wins and title != wins[-1][1]:
                found.append(f"contended {task_id}: {title!r} stored, last win {wins[-1][1]!r}")
        return found
