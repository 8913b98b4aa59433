"""Each service answers as its OpenAPI document says, whatever it is sent: schemathesis reads the
document from /openapi.json, sends what it describes (and what it forbids), follows its links
from a create to what reads, changes and deletes it, and checks every answer against it."""

from __future__ import annotations

import pytest

from tests.fuzz.runner import fuzz
from tests.fuzz.settings import load_schema
from tests.fuzz.world import World
from tests.support.system import System


@pytest.mark.timeout(300)
@pytest.mark.parametrize("service", ["projects", "tasks", "aggregator"])
def test_service_answers_as_documented(fuzzed_system: System, world: World, service: str) -> None:
    report = fuzz(load_schema(getattr(fuzzed_system, service), world))
    print(f"{service}: {report}")  # what was sent and answered, for `pytest -s`
    assert report.clean, str(report)
