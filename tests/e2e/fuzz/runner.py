"""One schemathesis run over a service, every phase its config enables (examples, coverage,
fuzzing, stateful), as its command line runs them; what failed, grouped, with a curl to replay.

The engine, not the pytest plugin: the plugin's fixture-loaded schemas rely on a pytest internal
(`Node._nodeid`) this pytest no longer has, and the engine runs the stateful phase along the
documents' links as well.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from schemathesis import engine
from schemathesis.engine import events
from schemathesis.specs.openapi.schemas import OpenApiSchema


@dataclass
class Report:
    failures: dict[str, str] = field(default_factory=dict)  # what failed -> a curl replaying it
    errors: list[str] = field(default_factory=list)
    cases: Counter[str] = field(default_factory=Counter)  # by phase
    statuses: Counter[int] = field(default_factory=Counter)  # of the answers

    @property
    def clean(self) -> bool:
        return not self.failures and not self.errors

    def __str__(self) -> str:
        lines = [
            f"{len(self.failures)} distinct failures in {self.cases.total()} cases",
            f"cases by phase: {dict(self.cases)}",
            f"answers by status: {dict(sorted(self.statuses.items()))}",
        ]
        lines += [f"- {what}\n    {curl}" for what, curl in sorted(self.failures.items())]
        lines += [f"! {error}" for error in self.errors]
        return "\n".join(lines)


def fuzz(schema: OpenApiSchema) -> Report:
    report = Report()
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(report, event)
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return report


def _record(report: Report, event: events.ScenarioFinished) -> None:
    recorder = event.recorder
    report.cases[event.phase.value] += len(recorder.cases)
    report.statuses.update(
        i.response.status_code for i in recorder.interactions.values() if i.response
    )
    for nodes in recorder.checks.values():
        for node in nodes:
            info = node.failure_info
            if info is None:
                continue
            failure = info.failure
            message = failure.message.strip().splitlines()[0] if failure.message else ""
            what = f"[{event.phase.value}] {failure.operation}: {failure.title}: {message}"
            report.failures.setdefault(what, info.code_sample)
