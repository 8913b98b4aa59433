"""Each service answers as its OpenAPI document says, whatever it is sent: schemathesis reads the
document from /openapi.json, sends what it describes (and what it forbids), follows its links
from a create to what reads, changes and deletes it, and checks every answer against it."""

from __future__ import annotations

import pytest

from taskwire.common.settings import DatabaseSettings
from taskwire.testkit.users import Users
from tests.e2e.fuzz.runner import fuzz
from tests.e2e.fuzz.settings import load_notifier_schema, load_schema
from tests.e2e.fuzz.upgrades import hanging_up_after_upgrades
from tests.e2e.fuzz.world import World
from tests.support.system import System


@pytest.mark.timeout(300)
@pytest.mark.parametrize("service", ["projects", "tasks", "aggregator"])
def test_service_answers_as_documented(fuzzed_system: System, world: World, service: str) -> None:
    report = fuzz(load_schema(getattr(fuzzed_system, service), world))
    print(f"{service}: {report}")  # what was sent and answered, for `pytest -s`
    assert report.clean, str(report)


@pytest.mark.timeout(120)
def test_notifier_answers_as_documented(fuzzed_system: System) -> None:
    base = fuzzed_system.notifier.replace("ws://", "http://", 1).removesuffix("/ws")
    token = Users(DatabaseSettings(environment="development"))("fuzzer").token
    with hanging_up_after_upgrades():
        report = fuzz(load_notifier_schema(base, token))
    print(f"notifier: {report}")
    assert report.clean, str(report)
