"""An event's trace reaches its frames: each `event` frame names the trace of the message it came
from (live and from history alike), and consuming the message records a consumer span that
continues the message's `traceparent`."""

from __future__ import annotations

import secrets

import aio_pika
from aio_pika.abc import AbstractRobustConnection
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from taskwire.common.events import Envelope, encode
from taskwire.common.telemetry import Telemetry
from taskwire.notifier.app import Notifier
from taskwire.notifier.settings import NotifierSettings
from taskwire.testkit.board import task_event
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.support.notifier import client, running_notifier


async def publish_traced(
    amqp: AbstractRobustConnection, exchange: str, envelope: Envelope
) -> tuple[str, str]:
    """Publish `envelope` as the relay would, continuing a made-up trace: (trace id, span id)."""
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    channel = await amqp.channel()
    target = await channel.get_exchange(exchange, ensure=False)
    message = aio_pika.Message(
        encode(envelope),
        message_id=str(envelope.id),
        headers={"traceparent": f"00-{trace_id}-{span_id}-01"},
    )
    await target.publish(message, routing_key=envelope.type)
    await channel.close()
    return trace_id, span_id


async def test_an_event_frame_carries_the_trace_id_live_and_on_resume(
    notifier: Notifier,
    users: Users,
    projects_service: str,
    amqp: AbstractRobustConnection,
    settings: NotifierSettings,
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    room = f"project:{project}"
    async with client(notifier, ada) as feed:
        epoch = (await feed.subscribe(room))["epoch"]
        trace_id, _ = await publish_traced(amqp, settings.exchange, task_event(project, workspace))
        [live] = await feed.events(1)
    assert live["trace_id"] == trace_id
    async with client(notifier, ada) as feed:
        resumed = await feed.subscribe(room, since=0, epoch=epoch)
        assert resumed["recovered"] is True, resumed
        [kept] = await feed.events(1)
    assert (kept["seq"], kept["trace_id"]) == (live["seq"], trace_id)


async def test_consuming_an_event_records_a_consumer_span_continuing_its_trace(
    settings: NotifierSettings,
    amqp: AbstractRobustConnection,
    users: Users,
    projects_service: str,
) -> None:
    exporter = InMemorySpanExporter()
    telemetry = Telemetry.create("notifier", exporter, batch=False)
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    async with (
        running_notifier(settings, amqp, telemetry) as notifier,
        client(notifier, ada) as feed,
    ):
        await feed.subscribe(f"project:{project}")
        trace_id, parent_id = await publish_traced(
            amqp, settings.exchange, task_event(project, workspace)
        )
        [frame] = await feed.events(1)
        # The span ends once the handler has returned, which may be after the frame arrives.
        [span] = await eventually(
            lambda: [s for s in exporter.get_finished_spans() if s.kind == SpanKind.CONSUMER],
            what="the consumer span",
        )
    assert span.name == f"process {settings.consumer_queue}"
    assert format_trace_id(span.context.trace_id) == trace_id == frame["trace_id"]
    assert span.parent is not None
    assert format_span_id(span.parent.span_id) == parent_id


async def test_events_numbered_together_each_carry_their_own_trace(
    notifier: Notifier,
    users: Users,
    projects_service: str,
    amqp: AbstractRobustConnection,
    settings: NotifierSettings,
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    async with client(notifier, ada) as feed:
        await feed.subscribe(f"project:{project}")
        await notifier.consumer.stop()  # the events pile up, to be taken together
        sent = [task_event(project, workspace, f"task {n}") for n in range(30)]
        traces = [(await publish_traced(amqp, settings.exchange, e))[0] for e in sent]
        await notifier.consumer.start()
        frames = await feed.events(len(sent))
    assert notifier.consumer.batches < len(sent), "taken one by one, never together"
    assert [(f["event"]["id"], f["trace_id"]) for f in frames] == [
        (str(e.id), trace) for e, trace in zip(sent, traces, strict=True)
    ]
