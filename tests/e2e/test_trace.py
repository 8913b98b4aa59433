"""One trace from a REST request to the WebSocket frame: the request's span, the outbox row that
keeps its context, the relay's publish, each consumer's processing (aggregator, notifier, and
the projects service taking the aggregator's progress in turn), and the frame quoting the id;
and the tasks service's replica continuing the trace of a change to a project."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from aio_pika.abc import AbstractRobustConnection
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from websockets.asyncio.client import connect

from taskwire.common.telemetry import Telemetry
from taskwire.testkit.infra import Infra
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.e2e.test_live_feed import until
from tests.support.notifier import Client
from tests.support.system import running_system


class Trace:
    def __init__(self, spans: list[ReadableSpan]) -> None:
        self.spans = spans

    def of(self, service: str, kind: SpanKind) -> Iterator[ReadableSpan]:
        for span in self.spans:
            if span.resource.attributes["service.name"] == service and span.kind == kind:
                yield span

    def child(self, parent: ReadableSpan, service: str, kind: SpanKind) -> ReadableSpan:
        """The one span of `service` and `kind` whose parent is `parent`."""
        assert parent.context is not None
        found = [
            s
            for s in self.of(service, kind)
            if s.parent is not None and s.parent.span_id == parent.context.span_id
        ]
        assert len(found) == 1, (service, kind, [(s.name, s.parent) for s in self.spans])
        return found[0]


def spans_of(exporter: InMemorySpanExporter, trace_id: str) -> Trace:
    return Trace(
        [
            s
            for s in exporter.get_finished_spans()
            if s.context is not None and f"{s.context.trace_id:032x}" == trace_id
        ]
    )


async def test_one_trace_runs_from_the_request_to_the_websocket_frame(
    infra: Infra,
    templates: dict[str, str],
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
    users: Users,
) -> None:
    exporter = InMemorySpanExporter()

    def recorded(service: str) -> Telemetry:
        return Telemetry.create(service, exporter, environment="test", batch=False)

    trace_id = secrets.token_hex(16)
    async with running_system(infra, templates, amqp, exchange_names, recorded) as system:
        ada = users("ada")
        _, project = await system.workspace_and_project(ada)
        board = f"project:{project['id']}"
        async with connect(system.notifier) as connection:
            feed = Client(connection)
            await feed.send(op="auth", token=ada.token)
            assert (await feed.next())["op"] == "ready"
            assert (await feed.subscribe(board))["op"] == "subscribed"
            made = await system.call(
                system.tasks,
                "POST",
                f"/projects/{project['id']}/tasks",
                ada,
                {"title": "Ship"},
                headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
            )
            assert made.status_code == 201, made.text
            frame = await until(feed, board, "task.created")
        assert frame["trace_id"] == trace_id  # a client can quote it

        def traced() -> Trace | None:
            """The trace once its last link has ended: the projects service's processing of
            the aggregator's progress event."""
            found = spans_of(exporter, trace_id)
            progress = {
                s.context.span_id for s in found.of("aggregator", SpanKind.PRODUCER) if s.context
            }
            done = [
                s
                for s in found.of("projects", SpanKind.CONSUMER)
                if s.parent is not None and s.parent.span_id in progress
            ]
            return found if done else None

        trace = await eventually(traced, what="the projects service taking the progress")

        # The other way: a project renamed, and the tasks service's replica taking the news.
        renaming = secrets.token_hex(16)
        renamed = await system.call(
            system.projects,
            "PATCH",
            f"/projects/{project['id']}",
            ada,
            {"name": "Web 2"},
            headers={"traceparent": f"00-{renaming}-{secrets.token_hex(8)}-01"},
        )
        assert renamed.status_code == 200, renamed.text

        def replicated() -> Trace | None:
            found = spans_of(exporter, renaming)
            return found if list(found.of("tasks", SpanKind.CONSUMER)) else None

        replica = await eventually(replicated, what="the tasks service's replica taking it")
    assert trace is not None
    assert replica is not None
    [rename] = replica.of("projects", SpanKind.SERVER)
    announced = replica.child(rename, "projects", SpanKind.PRODUCER)
    replica.child(announced, "tasks", SpanKind.CONSUMER)

    [request] = trace.of("tasks", SpanKind.SERVER)
    assert request.name == "POST /api/v1/projects/{project_id}/tasks"
    assert list(trace.of("tasks", SpanKind.CLIENT))  # its SQL statements
    publish = trace.child(request, "tasks", SpanKind.PRODUCER)
    assert publish.attributes is not None
    assert publish.attributes["messaging.system"] == "rabbitmq"
    assert publish.attributes["messaging.rabbitmq.destination.routing_key"] == "task.created"
    assert publish.attributes["messaging.message.id"] == frame["event"]["id"]

    counted = trace.child(publish, "aggregator", SpanKind.CONSUMER)
    trace.child(publish, "notifier", SpanKind.CONSUMER)
    progress = trace.child(counted, "aggregator", SpanKind.PRODUCER)
    assert progress.attributes is not None
    assert progress.attributes["messaging.rabbitmq.destination.routing_key"] == (
        "project.progress_changed"
    )
    trace.child(progress, "projects", SpanKind.CONSUMER)
    trace.child(progress, "notifier", SpanKind.CONSUMER)
