"""The aggregator's progress reaches the project row by its own version, never backwards."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection
from pydantic import BaseModel

from taskwire.common.events.aggregator import DerivedStatusChange, Progress
from taskwire.common.events.projects import Category, Counts
from taskwire.common.runtime import ServiceRuntime
from taskwire.projects.settings import ProjectsSettings
from taskwire.testkit.users import User, Users
from tests.integration.projects.helpers import Api, aggregator_event
from tests.support.amqp import Publisher
from tests.support.bus import Bus
from tests.support.sql import fetch


class Aggregator(Publisher):
    """Publishes hand-made aggregator events to the test's exchange."""

    async def send(
        self, project: dict[str, Any], type_: str, version: int, data: BaseModel
    ) -> None:
        await self.publish(aggregator_event(project, type_, version, data))


@pytest.fixture
async def aggregator(
    amqp: AbstractRobustConnection,
    settings: ProjectsSettings,
    runtime: ServiceRuntime,
) -> Aggregator:
    publisher = Aggregator(amqp, settings.exchange, runtime)
    await publisher.ready(settings.consumer_queue)
    return publisher


def _counts(total: int, done: int = 0) -> Counts:
    return Counts(total=total, todo=total - done, done=done)


async def _shown(client: httpx.AsyncClient, user: User, project: dict[str, Any]) -> Any:
    response = await client.get(f"/api/v1/projects/{project['id']}", headers=user.auth)
    return response.json()


async def test_progress_is_stored_and_shown_without_a_new_project_version(
    client: httpx.AsyncClient, users: Users, api: Api, aggregator: Aggregator, bus: Bus
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    project = await api.project(ada, workspace)
    await bus.drain()

    progress = Progress(
        counts=_counts(4, done=1), derived_status=Category.IN_PROGRESS, counts_version=1
    )
    await aggregator.send(project, "project.progress_changed", 1, progress)
    await aggregator.handled()

    shown = await _shown(client, ada, project)
    assert shown["counts"] == _counts(4, done=1).model_dump()
    assert shown["derived_status"] == "in_progress"
    assert shown["version"] == 1
    listed = await client.get(f"/api/v1/workspaces/{workspace['id']}/projects", headers=ada.auth)
    assert listed.json()["items"][0]["counts"]["total"] == 4
    await bus.take(1)  # the aggregator's own event; the projects service adds none
    await bus.quiet()


async def test_stale_and_duplicate_progress_changes_nothing(
    client: httpx.AsyncClient, users: Users, api: Api, aggregator: Aggregator, database_url: str
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    newest = Progress(counts=_counts(5), derived_status=Category.TODO, counts_version=5)
    await aggregator.send(project, "project.progress_changed", 5, newest)
    await aggregator.handled()

    for version in (3, 5):  # older, then a duplicate version with other counts
        stale = Progress(
            counts=_counts(2, done=2), derived_status=Category.DONE, counts_version=version
        )
        await aggregator.send(project, "project.progress_changed", version, stale)
    change = DerivedStatusChange(old=Category.TODO, new=Category.DONE, counts_version=4)
    await aggregator.send(project, "project.derived_status_changed", 4, change)
    await aggregator.handled()

    shown = await _shown(client, ada, project)
    assert (shown["counts"]["total"], shown["derived_status"]) == (5, "todo")
    rows = await fetch(database_url, "SELECT counts_version, derived_status_version FROM projects")
    assert tuple(rows[0]) == (5, 5)


async def test_a_derived_status_change_does_not_hide_counts_of_the_same_version(
    client: httpx.AsyncClient, users: Users, api: Api, aggregator: Aggregator
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    change = DerivedStatusChange(old=Category.TODO, new=Category.DONE, counts_version=7)
    await aggregator.send(project, "project.derived_status_changed", 7, change)
    await aggregator.handled()
    assert (await _shown(client, ada, project))["derived_status"] == "done"

    # The data's counts_version decides, whatever the envelope's subject version says.
    progress = Progress(counts=_counts(3, done=3), derived_status=Category.DONE, counts_version=7)
    await aggregator.send(project, "project.progress_changed", 99, progress)
    await aggregator.handled()
    shown = await _shown(client, ada, project)
    assert shown["counts"]["done"] == 3
    assert shown["derived_status"] == "done"


async def test_progress_for_an_unknown_project_is_acknowledged_and_ignored(
    users: Users, api: Api, aggregator: Aggregator, database_url: str
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    ghost = {"id": str(UUID(int=1)), "workspace_id": workspace["id"]}
    progress = Progress(counts=_counts(1), derived_status=Category.TODO, counts_version=1)
    await aggregator.send(ghost, "project.progress_changed", 1, progress)
    await aggregator.handled()
    assert (await fetch(database_url, "SELECT count(*) FROM projects"))[0][0] == 0
