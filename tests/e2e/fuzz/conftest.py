"""The services fuzzed against their own OpenAPI documents: started once for the module, on a
loop of their own thread (schemathesis calls them with a blocking client); each test makes a
world of real entities for its requests to name."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from uuid import uuid4

import pytest

from taskwire.testkit.infra import Infra
from tests.e2e.fuzz.world import World, make_world
from tests.support.amqp import connection_of_its_own
from tests.support.system import System, running_system
from tests.support.threaded import held_in_thread


@contextlib.asynccontextmanager
async def exchanged_system(infra: Infra, templates: dict[str, str]) -> AsyncIterator[System]:
    """The system on exchanges of its own, deleted afterwards."""
    unique = uuid4().hex[:10]
    exchanges = (f"taskwire.events.fuzz{unique}", f"taskwire.dlx.fuzz{unique}")
    async with (
        connection_of_its_own(infra.amqp_url, exchanges) as amqp,
        running_system(infra, templates, amqp, exchanges) as system,
    ):
        yield system


# Module scope: the services stop once the fuzzing is done, not at the end of the whole suite.
@pytest.fixture(scope="module")
def fuzzed_system(
    infra: Infra, projects_template: str, tasks_template: str, aggregator_template: str
) -> Iterator[System]:
    templates = {
        "projects": projects_template,
        "tasks": tasks_template,
        "aggregator": aggregator_template,
    }
    with held_in_thread(lambda: exchanged_system(infra, templates)) as system:
        yield system


@pytest.fixture
def world(fuzzed_system: System) -> World:
    """Fresh for each service's run: what one run deletes (its stateful phase follows links
    from a read to a delete), the next one still has."""
    return asyncio.run(make_world(fuzzed_system))
