"""The short soak: the production shape (every service twice behind the gateway) driven by
writers, owners and watchers for 90 s while every kind of fault happens at least once, the
machine's Postgres, RabbitMQ and Redis included; then every guarantee checked at once
(taskwire.testkit.soak, docs/reliability.md). A fixed seed, so a failure replays with
`make soak SECONDS=90 SEED=20261203`."""

from __future__ import annotations

import pytest

from taskwire.testkit.soak.run import options, soak

SEED = 20261203


@pytest.mark.timeout(600)
async def test_faults_at_random_under_load_break_no_guarantee() -> None:
    verdict = await soak(options(["--seconds", "90", "--seed", str(SEED)]))
    assert verdict.ok, {
        guarantee: found[:5] for guarantee, found in verdict.violations.items() if found
    }
