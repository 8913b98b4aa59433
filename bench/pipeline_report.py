"""The figures of bench/pipeline.py: one step (a system at one rate), the tables, the verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.load import percentile
from bench.pipeline_cpu import NOT_COUNTED

P99_MS, RATIO_RATE, RATIO_P99, CPU_MS = 100.0, 0.25, 2.0, 8.0  # the goals
AT = 50.0  # the rate at which click-to-screen and CPU are compared


@dataclass
class Step:
    rate: float
    figures: dict[str, Any]  # from bench/pipeline_load.py
    cpu: dict[str, float]  # seconds by group over the step, idle cost subtracted
    queued: dict[str, int]  # depth of each queue and outbox as the last write was answered

    def ms(self, series: str, q: float) -> float:
        return percentile([v / 1000 for v in self.figures[series]], q)

    def per_write(self, group: str) -> float:
        writes: int = self.figures["writes"]
        return self.cpu[group] * 1000 / max(1, writes)

    @property
    def total(self) -> float:
        return sum(self.per_write(g) for g in self.cpu if g not in NOT_COUNTED)

    @property
    def grew(self) -> bool:
        """More than a second of writes waiting somewhere as the last one was answered."""
        return any(depth > self.rate for depth in self.queued.values())

    @property
    def sustained(self) -> bool:
        return self.ms("click", 0.99) < P99_MS and not self.grew and not self.figures["missing"]

    def line(self) -> str:
        f = self.figures
        failed = f" failed {f['failed']}" if f["failed"] else ""
        return (
            f"{self.rate:6g}/s  writes {f['writes']:5d}  REST {self.ms('rest', 0.5):6.1f} / "
            f"{self.ms('rest', 0.99):7.1f} ms  click-to-screen {self.ms('click', 0.5):6.1f} / "
            f"{self.ms('click', 0.99):7.1f} ms  missing {f['missing']}  late p99 "
            f"{f['late_ms']:5.1f} ms  queued max {max(self.queued.values(), default=0)}  "
            f"CPU {self.total:5.1f} ms/write  {'ok' if self.sustained else 'NOT SUSTAINED'}"
            + failed
        )


def sustainable(steps: list[Step]) -> float:
    return max((s.rate for s in steps if s.sustained), default=0.0)


def at(steps: list[Step], rate: float) -> Step:
    return min(steps, key=lambda s: abs(s.rate - rate))


def table(name: str, steps: list[Step]) -> None:
    print(f"\n{name}: rate, REST p50 / p99, click-to-screen p50 / p99, CPU per write")
    for step in steps:
        print("  " + step.line())
    groups = sorted({g for s in steps for g in s.cpu}, key=lambda g: (g in NOT_COUNTED, g))
    print("  CPU per write by process, ms (idle cost subtracted):")
    print("  " + f"{'rate':>8}" + "".join(f"{g[:10]:>11}" for g in groups) + f"{'total':>9}")
    for s in steps:
        row = "".join(f"{s.per_write(g) if g in s.cpu else 0.0:11.2f}" for g in groups)
        print(f"  {s.rate:7g}/s{row}{s.total:9.2f}")
    print(f"  sustainable rate: {sustainable(steps):g} writes/s")


def verdicts(taskwire: list[Step], baseline: list[Step]) -> None:
    ours, theirs = sustainable(taskwire), sustainable(baseline)
    bound = (
        " (the baseline sustained every rate tried: a bound)"
        if theirs == max(s.rate for s in baseline)
        else ""
    )
    ratio = ours / theirs if theirs else 0.0
    here, there = at(taskwire, AT), at(baseline, AT)
    p99 = here.ms("click", 0.99) / max(0.001, there.ms("click", 0.99))
    print(f"\nTaskwire / baseline, in the same run{bound}")
    rows = [
        (f"sustainable rate ({ours:g} / {theirs:g})", ratio >= RATIO_RATE, f">= {RATIO_RATE}",
         f"{ratio:.2f}"),
        (f"click-to-screen p99 at {here.rate:g} writes/s", p99 <= RATIO_P99,
         f"<= {RATIO_P99:g}x", f"{p99:.2f}x"),
        (f"Taskwire CPU per write, all processes, at {here.rate:g}/s", here.total <= CPU_MS,
         f"<= {CPU_MS:g} ms", f"{here.total:.1f} ms"),
    ]  # fmt: skip
    for name, passed, goal, value in rows:
        print(f"  {name}: {value} (goal {goal}) {'PASS' if passed else 'FAIL'}")
