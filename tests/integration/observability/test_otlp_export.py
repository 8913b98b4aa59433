"""Spans leave by OTLP/HTTP to the configured endpoint, continuing the caller's trace."""

from __future__ import annotations

import secrets

import httpx
from aio_pika.abc import AbstractRobustConnection

from taskwire.projects.app import create_app
from taskwire.projects.settings import ProjectsSettings
from taskwire.testkit.infra import Infra
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.support.otlp import Receiver
from tests.support.service import serving
from tests.support.stack import builder, serve

SERVER, CLIENT, PRODUCER = 2, 3, 4  # OTLP span kinds


async def test_a_request_s_spans_reach_an_otlp_receiver(
    infra: Infra,
    projects_template: str,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
    users: Users,
) -> None:
    receiver = Receiver()
    trace_id = secrets.token_hex(16)
    async with serving(receiver.app()) as collector:
        build = builder(ProjectsSettings, create_app, otlp_endpoint=collector)
        async with serve("projects", infra, projects_template, amqp, exchange_names, build) as url:
            async with httpx.AsyncClient(base_url=url) as http:
                response = await http.post(
                    "/api/v1/workspaces",
                    json={"name": "Acme"},
                    headers={
                        **users("ada").auth,
                        "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01",
                    },
                )
            assert response.status_code == 201, response.text
        # Stopping the service sends what its exporter still buffered.
        await eventually(lambda: any(s.trace_id == trace_id for s in receiver.spans))
    ours = [s for s in receiver.spans if s.trace_id == trace_id]
    assert {s.service for s in ours} == {"projects"}
    [server] = [s for s in ours if s.kind == SERVER]
    assert server.name.startswith("POST /api/v1/workspaces")
    statements = [s for s in ours if s.kind == CLIENT]
    assert statements, [s.name for s in ours]  # the database's spans, in the same trace
    assert all(s.parent_span_id for s in statements)
