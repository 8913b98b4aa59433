"""A task created or restored in an archived project restores the project."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.common.events.tasks import TASK_CREATED, TASK_RESTORED
from taskwire.common.runtime import ServiceRuntime
from taskwire.projects.settings import ProjectsSettings
from taskwire.testkit.users import Users
from tests.integration.projects.helpers import Api, task_event
from tests.support.amqp import Publisher
from tests.support.bus import Bus


@pytest.fixture
async def tasks(
    amqp: AbstractRobustConnection, settings: ProjectsSettings, runtime: ServiceRuntime
) -> Publisher:
    publisher = Publisher(amqp, settings.exchange, runtime)
    await publisher.ready(settings.consumer_queue)
    return publisher


@pytest.mark.parametrize("type_", [TASK_CREATED, TASK_RESTORED])
async def test_a_task_in_an_archived_project_restores_it(
    type_: str, api: Api, users: Users, bus: Bus, tasks: Publisher
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    archived = await api.client.post(f"/api/v1/projects/{project['id']}/archive", headers=ada.auth)
    assert archived.status_code == 200, archived.text
    await bus.drain()

    await tasks.publish(task_event(type_, project, ada.id, datetime.now(UTC)))
    await tasks.handled()

    assert (await bus.next()).type == type_  # the tap sees the task event itself first
    restored = await bus.next()
    assert restored.type == "project.restored"
    assert restored.actor_id == ada.id
    assert restored.data["archived_at"] is None
    assert restored.subject.version == 3
    assert restored.changes["archived_at"][1] is None
    shown = await api.client.get(f"/api/v1/projects/{project['id']}", headers=ada.auth)
    assert shown.json()["archived_at"] is None


async def test_an_archive_after_the_task_change_stands(
    api: Api, users: Users, bus: Bus, tasks: Publisher
) -> None:
    """A late (or redelivered) task event must not undo an archive that came after it."""
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    before_archive = datetime.now(UTC) - timedelta(seconds=1)
    archived = await api.client.post(f"/api/v1/projects/{project['id']}/archive", headers=ada.auth)
    assert archived.status_code == 200, archived.text
    await bus.drain()

    await tasks.publish(task_event(TASK_CREATED, project, ada.id, before_archive))
    await tasks.publish(task_event(TASK_RESTORED, project, ada.id, before_archive))
    await tasks.handled()

    await bus.take(2)  # the two task events themselves, and nothing after them
    await bus.quiet()
    shown = await api.client.get(f"/api/v1/projects/{project['id']}", headers=ada.auth)
    assert shown.json()["archived_at"] is not None


async def test_a_task_in_an_active_project_changes_nothing(
    api: Api, users: Users, bus: Bus, tasks: Publisher
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    await bus.drain()

    await tasks.publish(task_event(TASK_CREATED, project, ada.id, datetime.now(UTC)))
    await tasks.handled()

    await bus.take(1)
    await bus.quiet()
    shown = await api.client.get(f"/api/v1/projects/{project['id']}", headers=ada.auth)
    assert shown.json()["version"] == 1
