"""Every guarantee at once, against the services' own state once the system is quiet: what
the clients were told (`writers`, `history`) against the rows (`written`), and what flowed on
from them (`flowed`): the replica, the watchers, the outboxes and the dead-letter queues. Each
check answers its violations, one line each."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from taskwire.testkit.soak.clients import Clients
from taskwire.testkit.soak.flowed import drained, refused, replicated, watched
from taskwire.testkit.soak.stores import Stores
from taskwire.testkit.soak.written import acknowledged, applied_once, contended, counted


@dataclass
class Verdict:
    violations: dict[str, list[str]] = field(default_factory=dict)
    converged_at: float | None = None  # time.monotonic() when every flow had converged

    def add(self, guarantee: str, found: Sequence[str]) -> None:
        self.violations.setdefault(guarantee, []).extend(found)

    @property
    def ok(self) -> bool:
        return not any(self.violations.values())


async def check(stores: Stores, clients: Clients, settle_seconds: float = 60.0) -> Verdict:
    """Wait (up to `settle_seconds`) for what flows on to converge, settle what no answer
    settled (and what the services moved on their own), then judge."""
    writers, watchers, history = clients.writers, clients.watchers, clients.history
    workspaces = [admin.workspace.id for admin in clients.admins]
    everything = [p for admin in clients.admins for p in admin.workspace.projects]
    projects = sorted(p.id for p in everything)
    started = time.monotonic()
    verdict = Verdict()
    while True:
        flowing = await counted(stores, projects) + await replicated(stores, workspaces)
        flowing += await drained(stores) + await watched(stores, watchers)
        if not flowing:
            verdict.converged_at = time.monotonic()
            break
        if time.monotonic() - started > settle_seconds:
            verdict.add("converged", flowing)
            break
        await asyncio.sleep(0.5)
    for writer in writers:
        for task in writer.owned.values():
            if task.unsettled or task.frozen:
                await writer.settle(task)
    known = {task for project in everything for task in project.contended}
    verdict.add("1 acknowledged writes kept", await acknowledged(stores, writers, known))
    verdict.add(
        "1 racing If-Match edits: one winner each",
        await contended(stores, clients.races, everything),
    )
    verdict.add("2 applied at most once, numbers gapless", await applied_once(stores, writers))
    verdict.add("3 counts equal a recount", await counted(stores, projects))
    verdict.add("4 replica equals the projects service", await replicated(stores, workspaces))
    verdict.add("4 a removed member is refused", await refused(clients.gateway, clients.admins))
    verdict.add(
        "5 every watcher converged, no unannounced gap",
        [gap for w in watchers for gap in w.unannounced_gaps] + await watched(stores, watchers),
    )
    verdict.add("6 outboxes drained, no dead letters", await drained(stores))
    verdict.add(
        "7 no 5xx but 503",
        [f"{kind}: {status}" for _, kind, status in history.bad_answers],
    )
    return verdict
