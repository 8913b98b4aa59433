"""py-spy on every service of the pipeline through one step of bench/pipeline.py, and what the
samples say: `--profile DIR` records `DIR/<service>-<rate>.txt` (collapsed stacks, the format
flame graph tools read) while the load runs at `--profile-at`, then prints for each service the
frames that hold the most samples, inclusive (a frame counts once per stack it is on).

    uv run python bench/pipeline.py --rates 50 --profile /tmp/profiles
    uv run python -m bench.pipeline_profile /tmp/profiles/tasks-50.txt   # the same summary
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.pipeline_cpu import label, read

SERVICES = ("projects", "tasks", "aggregator", "notifier")
RATE_HZ = 200


def service_pids() -> dict[str, int]:
    """The Python process of each service (the one whose command line names it, not a child)."""
    found: dict[str, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (proc := read(int(entry))) is not None:
            name = label(proc, None, int(entry))
            parent = read(proc.ppid)
            if name in SERVICES and not (parent and label(parent, None, proc.ppid) == name):
                found[name] = int(entry)
    return found


def record(directory: Path, rate: float, seconds: float) -> list[subprocess.Popen[bytes]]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    directory.mkdir(parents=True, exist_ok=True)
    spies = []
    for name, pid in service_pids().items():
        output = directory / f"{name}-{rate:g}.txt"
        command = [spy, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))),
                   "--rate", str(RATE_HZ), "--nonblocking", "--format", "raw",
                   "--output", str(output)]  # fmt: skip
        quiet = subprocess.DEVNULL
        spies.append(subprocess.Popen(command, stdout=quiet, stderr=quiet))
    return spies


def finish(spies: list[subprocess.Popen[bytes]], directory: Path, rate: float) -> None:
    for spy in spies:
        spy.wait(timeout=60)
    for service in SERVICES:
        if (path := directory / f"{service}-{rate:g}.txt").exists():
            print(summary(path), flush=True)


def summary(path: Path, top: int = 25) -> str:
    """The frames with the most samples, inclusive, as a share of all samples of the process."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        for frame in set(stack.split(";")):
            inclusive[short(frame)] += samples
    lines = [f"{path.stem}: {total} samples at {RATE_HZ} Hz ({total / RATE_HZ:.1f} s on CPU)"]
    for frame, samples in inclusive.most_common(top):
        lines.append(f"  {samples * 100 / max(1, total):5.1f}%  {frame}")
    return "\n".join(lines)


def short(frame: str) -> str:
    """`name (path/to/module.py:line)` as `name (module.py)`: lines split one function apart."""
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.rstrip(')').rsplit(':', 1)[0]).name})" if where else name


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(summary(Path(argument), top=60))
