"""A resume counts against the same send queue as live frames: history is read a page at a time
and sent at the client's pace, so a client that reads gets all of it, and clients that resume a
long history and never read are closed with 4008 while the notifier's memory stays bounded."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack

from taskwire.notifier.app import Notifier
from taskwire.notifier.fanout import unsent
from taskwire.testkit.board import task_event
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.support.amqp import EventSender
from tests.support.notifier import client, small_window

Start = Callable[..., AbstractAsyncContextManager[Notifier]]
HISTORY = 1_000  # events of about 5 kB: 5 MB, more than the kernel buffers of a socket hold
SEND_QUEUE = 65_536
STALLED = 10


async def test_resumes_of_a_long_history_stay_within_the_send_queue(
    start: Start, users: Users, projects_service: str, events: EventSender
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    room = f"project:{project}"
    settings = {"send_queue_bytes": SEND_QUEUE, "history_length": HISTORY}
    async with start(**settings, ping_timeout_seconds=3.0) as notifier:
        async with client(notifier, ada) as first:
            epoch = (await first.subscribe(room))["epoch"]
        big = "x" * 5_000
        await events.publish(
            *(task_event(project, workspace, f"{n}", description=big) for n in range(HISTORY))
        )
        await eventually(lambda: notifier.consumer.handled >= HISTORY, what="the history kept")

        async with client(notifier, ada) as reader:
            resumed = await reader.subscribe(room, since=0, epoch=epoch)
            assert (resumed["recovered"], resumed["seq"]) == (True, HISTORY)
            frames = await reader.events(HISTORY)
            assert [f["seq"] for f in frames] == list(range(1, HISTORY + 1))

        tracemalloc.start()
        try:
            async with AsyncExitStack() as stack:
                stalled = [
                    await stack.enter_async_context(
                        client(notifier, ada, sock=await small_window(notifier))
                    )
                    for _ in range(STALLED)
                ]
                baseline = tracemalloc.get_traced_memory()[0]
                for feed in stalled:
                    await feed.send(op="subscribe", room=room, since=0, epoch=epoch)
                    feed.connection.transport.pause_reading()  # reads nothing more
                queued: list[int] = []

                def all_closed() -> bool:
                    queued.append(sum(unsent(s.connection) for s in notifier.sessions))
                    registry = notifier.telemetry.metrics.registry
                    closes = registry.get_sample_value("taskwire_notifier_slow_client_closes_total")
                    return closes == STALLED

                await eventually(all_closed, timeout=20, what="every stalled client closed")
                held = tracemalloc.get_traced_memory()[1] - baseline
                for feed in stalled:
                    feed.connection.transport.resume_reading()
                    assert await feed.closed() == 4008
        finally:
            tracemalloc.stop()
    # Each holds at most a page of history and half its send queue, nothing like its 5 MB.
    assert max(queued) <= STALLED * SEND_QUEUE, max(queued)
    assert held < STALLED * 1_048_576, held
