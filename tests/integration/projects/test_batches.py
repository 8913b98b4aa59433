"""A batch of consumed events ends where applying them one by one would, in one transaction.

Most tests hand a batch to the consumer's handler themselves, so that it is exactly that batch;
the last ones go through the broker, to the consumer's own batching.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.common.batch_consumer import BatchConsumer
from taskwire.common.consumer import REASON_HEADER
from taskwire.common.events import Envelope, encode
from taskwire.common.events.aggregator import (
    DERIVED_STATUS_CHANGED,
    PROGRESS_CHANGED,
    DerivedStatusChange,
    Progress,
)
from taskwire.common.events.projects import Category, Counts
from taskwire.common.events.tasks import TASK_CREATED, TASK_RESTORED
from taskwire.common.runtime import ServiceRuntime
from taskwire.projects import handlers
from taskwire.projects.settings import ProjectsSettings
from taskwire.projects.store import projects as store
from taskwire.testkit.users import User, Users
from taskwire.testkit.waiting import eventually
from tests.integration.projects.helpers import Api, aggregator_event, task_event
from tests.support.amqp import Publisher, dead_letters
from tests.support.bus import Bus
from tests.support.sql import fetch


async def _apply(runtime: ServiceRuntime, *events: Envelope) -> None:
    """Apply these events as one batch, the way the consumer does."""
    async with runtime.database.unit_of_work() as uow:
        await handlers.apply(uow, [handlers.parse(encode(event)) for event in events])
        await uow.commit()


def _progress(project: dict[str, Any], version: int, total: int) -> Envelope:
    data = Progress(
        counts=Counts(total=total, todo=total),
        derived_status=Category.TODO,
        counts_version=version,
    )
    return aggregator_event(project, PROGRESS_CHANGED, version, data)


async def _stored(database_url: str, project: dict[str, Any]) -> tuple[Any, ...]:
    sql = (
        "SELECT counts->>'total', counts_version, derived_status, derived_status_version, "
        "archived_at IS NOT NULL, version FROM projects WHERE id = $1"
    )
    rows = await fetch(database_url, sql, UUID(project["id"]))
    total, *rest = rows[0]
    return (int(total), *rest)


async def _archived(api: Api, user: User, key: str) -> dict[str, Any]:
    project = await api.project(user, await api.workspace(user, name=f"Space {key}"), key)
    archived = await api.client.post(f"/api/v1/projects/{project['id']}/archive", headers=user.auth)
    assert archived.status_code == 200, archived.text
    return project


async def test_a_batch_of_progress_ends_at_the_newest_of_each_project(
    users: Users, api: Api, runtime: ServiceRuntime, database_url: str
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    web, app = await api.project(ada, workspace, "WEB"), await api.project(ada, workspace, "APP")

    await _apply(runtime, _progress(web, 3, 30), _progress(web, 1, 10), _progress(app, 1, 7),
                 _progress(web, 2, 20))  # fmt: skip

    assert await _stored(database_url, web) == (30, 3, "todo", 3, False, 1)
    assert await _stored(database_url, app) == (7, 1, "todo", 1, False, 1)
    await _apply(runtime, _progress(web, 2, 20), _progress(app, 1, 99))  # stale, redelivered
    assert (await _stored(database_url, web))[:2] == (30, 3)
    assert (await _stored(database_url, app))[:2] == (7, 1)


@pytest.mark.parametrize("derived_first", [True, False])
async def test_a_derived_status_change_and_progress_of_one_version_both_apply(
    derived_first: bool, users: Users, api: Api, runtime: ServiceRuntime, database_url: str
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    change = DerivedStatusChange(old=Category.TODO, new=Category.DONE, counts_version=7)
    derived = aggregator_event(project, DERIVED_STATUS_CHANGED, 7, change)
    progress = Progress(
        counts=Counts(total=3, done=3), derived_status=Category.DONE, counts_version=7
    )
    counted = aggregator_event(project, PROGRESS_CHANGED, 7, progress)

    await _apply(runtime, *([derived, counted] if derived_first else [counted, derived]))

    assert await _stored(database_url, project) == (3, 7, "done", 7, False, 1)


async def test_a_batch_restores_an_archived_project_once(
    users: Users, api: Api, runtime: ServiceRuntime, bus: Bus, database_url: str
) -> None:
    ada, bob = users("ada"), users("bob")
    project = await _archived(api, ada, "WEB")
    await bus.drain()
    after = datetime.now(UTC) + timedelta(seconds=1)

    await _apply(
        runtime,
        task_event(TASK_CREATED, project, ada.id, after - timedelta(days=1)),  # before the archive
        task_event(TASK_CREATED, project, bob.id, after),
        task_event(TASK_RESTORED, project, ada.id, after + timedelta(seconds=1)),
        _progress(project, 1, 3),
    )

    restored = await bus.next()
    assert (restored.type, restored.actor_id) == ("project.restored", bob.id)
    assert restored.subject.version == 3
    await bus.quiet()
    assert await _stored(database_url, project) == (3, 1, "todo", 1, False, 3)

    await _apply(runtime, task_event(TASK_CREATED, project, bob.id, after))  # redelivered
    await bus.quiet()
    assert (await _stored(database_url, project))[-2:] == (False, 3)


async def test_task_events_older_than_the_archive_leave_it_standing(
    users: Users, api: Api, runtime: ServiceRuntime, bus: Bus, database_url: str
) -> None:
    ada = users("ada")
    before = datetime.now(UTC) - timedelta(seconds=1)
    stays, revives = await _archived(api, ada, "OLD"), await _archived(api, ada, "NEW")
    await bus.drain()

    await _apply(
        runtime,
        task_event(TASK_CREATED, stays, ada.id, before),
        task_event(TASK_RESTORED, stays, ada.id, before),
        task_event(TASK_CREATED, revives, ada.id, datetime.now(UTC) + timedelta(seconds=1)),
    )

    restored = await bus.next()
    assert (restored.type, restored.subject.id) == ("project.restored", UUID(revives["id"]))
    await bus.quiet()
    assert (await _stored(database_url, stays))[-2:] == (True, 2)
    assert (await _stored(database_url, revives))[-2:] == (False, 3)


async def test_the_batch_locks_only_projects_archived_before_its_task_events(
    users: Users, api: Api, runtime: ServiceRuntime
) -> None:
    ada = users("ada")
    before = datetime.now(UTC)
    later = await _archived(api, ada, "LATE")
    after = datetime.now(UTC)
    active = await api.project(ada, await api.workspace(ada, name="Busy"), "LIVE")
    earlier = await _archived(api, ada, "EARLY")
    touched = {
        UUID(later["id"]): before,  # archived after this task event
        UUID(active["id"]): after,
        UUID(earlier["id"]): datetime.now(UTC) + timedelta(seconds=1),
    }

    async with runtime.database.unit_of_work() as uow:
        found = await store.lock_archived_before(uow.connection, touched)

    assert [p.id for p in found] == [UUID(earlier["id"])]


async def test_a_burst_within_the_linger_is_one_transaction(
    users: Users, api: Api, amqp: AbstractRobustConnection, settings: ProjectsSettings,
    runtime: ServiceRuntime, database_url: str,
) -> None:  # fmt: skip
    consumer = runtime.consumers[0]
    assert isinstance(consumer, BatchConsumer)
    assert consumer.linger == settings.consumer_linger_ms / 1000 > 0.02
    ada = users("ada")
    workspace = await api.workspace(ada)
    web, app = await api.project(ada, workspace, "WEB"), await api.project(ada, workspace, "APP")
    burst = [_progress(web, v, v * 10) for v in (3, 1, 2)] + [_progress(app, 1, 7)]
    burst += [task_event(TASK_CREATED, web, ada.id, datetime.now(UTC)) for _ in range(4)]
    before = consumer.batches

    sender = Publisher(amqp, settings.exchange, runtime)
    await sender.ready(settings.consumer_queue)
    for event in burst:  # a few ms apart: alone, each would be a batch of its own
        await sender.publish(event)
        await asyncio.sleep(0.003)
    await eventually(lambda: consumer.handled >= len(burst), what="the burst handled")

    # One transaction for the burst; a loaded machine may stretch it past the linger once.
    assert consumer.batches - before <= 2, consumer.batches - before
    assert (await _stored(database_url, web))[:2] == (30, 3)
    assert (await _stored(database_url, app))[:2] == (7, 1)


async def test_progress_with_unreadable_data_is_dead_lettered_and_its_batch_applied(
    users: Users, api: Api, amqp: AbstractRobustConnection, settings: ProjectsSettings,
    runtime: ServiceRuntime, database_url: str,
) -> None:  # fmt: skip
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    poison = orjson.loads(encode(_progress(project, 5, 50)))
    poison["data"]["counts"] = "many"
    sender = Publisher(amqp, settings.exchange, runtime)
    await sender.ready(settings.consumer_queue)

    await sender.publish_raw(orjson.dumps(poison), PROGRESS_CHANGED)
    await sender.publish(_progress(project, 4, 40))

    (letter,) = await dead_letters(amqp, settings.consumer_queue, 1)
    assert "project.progress_changed data is not readable: data.counts" in str(
        letter.headers[REASON_HEADER]
    )

    async def applied() -> bool:
        return (await _stored(database_url, project))[:2] == (40, 4)

    await eventually(applied, what="the good event applied")
