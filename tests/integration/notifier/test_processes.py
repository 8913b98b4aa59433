"""Several notifier processes: each event is consumed once from the shared queue, numbered
once, and delivered by every process to its own sockets."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from taskwire.notifier.app import Notifier
from taskwire.testkit.board import task_event
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.support.amqp import EventSender
from tests.support.notifier import client

Start = Callable[..., AbstractAsyncContextManager[Notifier]]


async def test_a_client_on_one_process_gets_what_another_consumed_in_order(
    start: Start, users: Users, projects_service: str, events: EventSender
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    room = f"project:{project}"
    async with start() as consuming, start() as serving:
        await serving.consumer.stop()  # everything is consumed by the other process
        async with client(serving, ada) as on_serving, client(consuming, ada) as on_consuming:
            await on_serving.subscribe(room)
            await on_consuming.subscribe(room)
            sent = [task_event(project, workspace, f"task {n}") for n in range(40)]
            await events.publish(*sent)
            here, there = await on_serving.events(40), await on_consuming.events(40)
        assert serving.consumer.handled == 0
        await eventually(lambda: consuming.consumer.handled == 40, what="consumed once")
    for frames in (here, there):
        assert [f["seq"] for f in frames] == list(range(1, 41))
        assert [f["event"]["id"] for f in frames] == [str(e.id) for e in sent]
    assert [f["epoch"] for f in here] == [f["epoch"] for f in there]


async def test_both_processes_consuming_number_each_event_once(
    start: Start, users: Users, projects_service: str, events: EventSender
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    async with start() as one, start() as two, client(one, ada) as feed:
        await feed.subscribe(f"project:{project}")
        sent = [task_event(project, workspace, f"task {n}") for n in range(60)]
        await events.publish(*sent)
        await events.publish(*sent[:20])  # redelivered copies: numbered once all the same
        frames = await feed.events(60)
        await eventually(
            lambda: one.consumer.handled + two.consumer.handled == 80, what="all consumed"
        )
        await feed.send(op="presence", room=f"project:{project}")
        assert (await feed.next())["op"] == "presence"  # no 61st event came before it
    assert [f["seq"] for f in frames] == list(range(1, 61))
    assert sorted(f["event"]["id"] for f in frames) == sorted(str(e.id) for e in sent)
