"""`/metrics` on the notifier's port: the live feed's figures (sessions, rooms, frames delivered,
resumes, slow clients closed) beside what every service measures; `/readyz` beside it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx

from taskwire.notifier.app import Notifier
from taskwire.testkit.board import task_event
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.support.amqp import EventSender
from tests.support.metrics import Scrape, scrape
from tests.support.notifier import client, http_of, small_window

Start = Callable[..., AbstractAsyncContextManager[Notifier]]

FAMILIES = {
    "taskwire_notifier_connections": "gauge",
    "taskwire_notifier_rooms": "gauge",
    "taskwire_notifier_deliveries": "counter",
    "taskwire_notifier_slow_client_closes": "counter",
    "taskwire_notifier_resumes": "counter",
    "taskwire_notifier_fanout_dropped": "counter",
    "taskwire_notifier_fanout_restarts": "counter",
    "taskwire_consumer_messages": "counter",
    "taskwire_dependency_up": "gauge",
}


def feed_figures(found: Scrape) -> dict[str, float]:
    return {
        "connections": found.value("taskwire_notifier_connections"),
        "rooms": found.value("taskwire_notifier_rooms"),
        "deliveries": found.value("taskwire_notifier_deliveries_total"),
        "recovered": found.value("taskwire_notifier_resumes_total", outcome="recovered"),
        "not_recovered": found.value("taskwire_notifier_resumes_total", outcome="not_recovered"),
    }


async def test_metrics_and_readyz_answer_beside_the_feed(start: Start) -> None:
    async with start(metrics_sample_seconds=0.1) as notifier:
        base, queue = http_of(notifier), notifier.settings.consumer_queue
        found = await scrape(base)
        assert {name: found.families.get(name) for name in FAMILIES} == FAMILIES
        assert feed_figures(found) == dict.fromkeys(feed_figures(found), 0.0)

        async def sampled() -> bool:
            found = await scrape(base)
            return (
                found.value("taskwire_dependency_up", dependency="broker") == 1
                and found.value("taskwire_dependency_up", dependency="redis") == 1
                and ("taskwire_consumer_queue_messages", frozenset({("queue", queue)}))
                in found.samples
            )

        await eventually(sampled, what="the dependencies and the queue's depth sampled")
        async with httpx.AsyncClient(base_url=base) as http:
            ready = await http.get("/readyz")
        assert (ready.status_code, ready.json()["checks"]) == (
            200,
            {"broker": "ok", "redis": "ok", "fanout": "ok"},
        )


async def test_metrics_follow_sessions_rooms_deliveries_and_resumes(
    notifier: Notifier, users: Users, projects_service: str, events: EventSender
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    room, base = f"project:{project}", http_of(notifier)

    async def idle() -> bool:
        figures = feed_figures(await scrape(base))
        return (figures["connections"], figures["rooms"]) == (0, 0)

    async with client(notifier, ada) as one, client(notifier, ada) as two:
        epoch = (await one.subscribe(room))["epoch"]
        await two.subscribe(room)
        await events.publish(*(task_event(project, workspace) for _ in range(3)))
        await one.events(3)
        await two.events(3)
        live = await scrape(base)
    assert feed_figures(live) == {
        "connections": 2,
        "rooms": 1,
        "deliveries": 6,  # each frame once per socket
        "recovered": 0,
        "not_recovered": 0,
    }
    processed = {"queue": notifier.settings.consumer_queue, "outcome": "processed"}
    assert live.value("taskwire_consumer_messages_total", **processed) == 3
    await eventually(idle, what="no session and no room left")

    async with client(notifier, ada) as back:
        assert (await back.subscribe(room, since=1, epoch=epoch))["recovered"] is True
        await back.events(2)  # the backlog counts as delivered
        await back.send(op="unsubscribe", room=room)
        assert (await back.next())["op"] == "unsubscribed"
        assert (await back.subscribe(room, since=1, epoch="other"))["recovered"] is False
        resumed = feed_figures(await scrape(base))
    assert resumed == {
        "connections": 1,
        "rooms": 1,
        "deliveries": 8,
        "recovered": 1,
        "not_recovered": 1,
    }
    await eventually(idle, what="no session and no room left")


async def test_a_slow_client_closed_is_counted(
    start: Start, users: Users, projects_service: str, events: EventSender
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    room = f"project:{project}"
    big = "x" * 20_000
    async with start(send_queue_bytes=4096) as notifier:
        async with client(
            notifier, ada, sock=await small_window(notifier), max_size=None
        ) as stalled:
            await stalled.subscribe(room)
            stalled.connection.transport.pause_reading()  # reads nothing more
            # 6 MB: more than the server's kernel send buffer (up to 4 MiB by default) holds.
            await events.publish(
                *(task_event(project, workspace, description=big) for _ in range(300))
            )

            async def slow_closes() -> float:
                found = await scrape(http_of(notifier))
                return found.value("taskwire_notifier_slow_client_closes_total")

            assert await eventually(slow_closes, what="the slow client closed") == 1
            stalled.connection.transport.resume_reading()
            assert await stalled.closed() == 4008
        assert await slow_closes() == 1
