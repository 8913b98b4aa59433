"""The running service keeps its replica from the broker, and what it applies reaches requests.

No projects service runs here: whatever the requests find, the consumed events put there.
"""

from __future__ import annotations

from typing import Any

import httpx

from taskwire.common.consumer import Consumer
from taskwire.common.events import Envelope
from taskwire.common.events.projects import (
    MEMBER_ADDED,
    MEMBER_REMOVED,
    PROJECT_CREATED,
    STATUS_DELETED,
    WORKSPACE_CREATED,
    Category,
    Role,
)
from taskwire.common.events.tasks import TASK_CREATED, TASK_MOVED
from taskwire.common.runtime import ServiceRuntime
from taskwire.projects.events import member_event, project_event, status_event, workspace_event
from taskwire.testkit.seed import Seed
from taskwire.testkit.users import User, Users
from taskwire.testkit.waiting import eventually
from tests.integration.tasks.replica_helpers import (
    deleted,
    member_state,
    project_state,
    status_of,
    workspace_state,
)
from tests.support.amqp import EventTap
from tests.support.problems import assert_problem
from tests.support.replica import outgoing


async def publish(runtime: ServiceRuntime, *events: Envelope) -> None:
    """As the projects service's relay would, then wait until the replica has applied them."""
    consumer: Consumer[Any] = runtime.consumers[0]
    before, routed = consumer.handled, 0

    async def all_routed() -> bool:
        # Until the service has bound its queue, the broker returns them; a copy that did get
        # through is applied once more, which changes nothing (but is counted).
        nonlocal routed
        outcomes = await runtime.broker.publish([outgoing(e) for e in events])
        routed += outcomes.count(None)
        return outcomes.count(None) == len(events)

    await runtime.broker.wait_connected(10)
    await eventually(all_routed, what="the replica's queue bound")
    await eventually(lambda: consumer.handled >= before + routed, what="the events applied")


async def create_task(client: httpx.AsyncClient, user: User, project_id: object) -> httpx.Response:
    return await client.post(
        f"/api/v1/projects/{project_id}/tasks", json={"title": "Ship it"}, headers=user.auth
    )


async def test_a_project_known_only_from_its_events_takes_tasks_and_loses_a_status(
    client: httpx.AsyncClient, runtime: ServiceRuntime, tap: EventTap, users: Users
) -> None:
    ada = users("ada")
    workspace = workspace_state()
    project = project_state(workspace.id)
    todo, done = status_of(project, Category.TODO), status_of(project, Category.DONE)
    await publish(
        runtime,
        workspace_event(WORKSPACE_CREATED, workspace, ada.id),
        member_event(MEMBER_ADDED, member_state(workspace.id, ada, Role.OWNER), ada.id),
        project_event(PROJECT_CREATED, project, ada.id),
    )

    created = await create_task(client, ada, project.id)
    assert created.status_code == 201, created.text
    assert created.json()["status_id"] == str(todo.id)
    assert (await tap.next()).type == TASK_CREATED

    await publish(runtime, status_event(STATUS_DELETED, deleted(todo, done.id), ada.id))

    moved = await tap.next()
    assert (moved.type, str(moved.subject.id), moved.subject.version) == (
        TASK_MOVED,
        created.json()["id"],
        2,
    )
    assert moved.data["status_id"] == str(done.id)
    assert moved.changes["status_id"] == [str(todo.id), str(done.id)]
    found = await client.get(f"/api/v1/tasks/{moved.subject.id}", headers=ada.auth)
    assert (found.json()["status_id"], found.json()["category"]) == (str(done.id), "done")


async def test_a_member_removed_in_the_projects_service_can_no_longer_write(
    client: httpx.AsyncClient, runtime: ServiceRuntime, seed: Seed, users: Users
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace_id = await seed.workspace(ada, (bob, Role.MEMBER))
    project = await seed.project(workspace_id)
    first = await create_task(client, bob, project.id)
    assert first.status_code == 201, first.text

    removed = member_state(workspace_id, bob, version=2, removed=True)
    await publish(runtime, member_event(MEMBER_REMOVED, removed, ada.id))

    assert_problem(await create_task(client, bob, project.id), 404, "not-found")
    listed = await client.get(f"/api/v1/projects/{project.id}/tasks", headers=ada.auth)
    assert [t["id"] for t in listed.json()["items"]] == [first.json()["id"]]
