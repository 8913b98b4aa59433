"""The soak's report: what was done, what was told, and each guarantee with its violations."""

from __future__ import annotations

from collections import Counter

from taskwire.testkit.soak.checker import Verdict
from taskwire.testkit.soak.clients import Clients

COLUMNS = ("attempted", "acknowledged", "refused", "failed", "retried")


def render(
    seed: int,
    seconds: float,
    clients: Clients,
    verdict: Verdict,
    faults: Counter[str],
    quiet_since: float,
) -> str:
    """`quiet_since`: when the load had stopped and the last fault was repaired (monotonic)."""
    lines = [f"soak: seed {seed}, {seconds:.0f} s of load"]
    lines.append("faults: " + (", ".join(f"{k} x{n}" for k, n in sorted(faults.items())) or "none"))
    lines.append(f"  {'operation':<14}" + "".join(f"{c:>14}" for c in COLUMNS))
    history, watchers = clients.history, clients.watchers
    for kind, row in sorted(history.by_kind().items()):
        lines.append(f"  {kind:<14}" + "".join(f"{row[c]:>14}" for c in COLUMNS))
    frames = sum(w.frames for w in watchers)
    lines.append(
        f"feed: {frames} frames to {len(watchers)} watchers, "
        f"{sum(w.resyncs for w in watchers)} resyncs, "
        f"{sum(w.reconnects for w in watchers)} reconnects"
    )
    converged = verdict.converged_at
    after = "NOT within the settle time" if converged is None else f"{converged - quiet_since:.1f}s"
    lines.append(f"converged: {after} after the load stopped and the last fault was repaired")
    for guarantee, found in verdict.violations.items():
        lines.append(f"  {'ok  ' if not found else 'FAIL'} {guarantee}: {len(found)} violation(s)")
        lines += [f"         {line}" for line in found[:20]]
    lines.append(f"soak {'passed' if verdict.ok else 'FAILED'} (replay: --seed {seed})")
    return "\n".join(lines)
