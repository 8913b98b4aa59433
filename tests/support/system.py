"""The projects, tasks, aggregator and notifier services running together on the test's
exchanges, each over real HTTP (the notifier over WebSocket) with its own database and queue,
so events flow between them as in production."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
from aio_pika.abc import AbstractRobustConnection
from fastapi import FastAPI

from taskwire.aggregator.app import create_app as create_aggregator_app
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.common.settings import DEVELOPMENT_INTERNAL_TOKEN, DatabaseSettings, ServiceSettings
from taskwire.common.telemetry import Telemetry
from taskwire.notifier.settings import NotifierSettings
from taskwire.projects.app import create_app as create_projects_app
from taskwire.projects.settings import ProjectsSettings
from taskwire.tasks.app import create_app as create_tasks_app
from taskwire.tasks.settings import TasksSettings
from taskwire.testkit.infra import Infra
from taskwire.testkit.ports import free_port
from taskwire.testkit.users import User
from taskwire.testkit.waiting import eventually
from tests.support.notifier import running_notifier, url_of
from tests.support.stack import Builder, builder, serve


@dataclass(frozen=True)
class System:
    projects: str
    tasks: str
    aggregator: str
    aggregator_database: str
    notifier: str  # its /ws URL

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        user: User,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        async with httpx.AsyncClient(base_url=service, headers=user.auth) as http:
            return await http.request(method, f"/api/v1{path}", json=body, headers=headers)

    async def ok(self, service: str, method: str, path: str, user: User, body: Any = None) -> Any:
        response = await self.call(service, method, path, user, body)
        assert response.is_success, response.text
        return response.json() if response.content else None

    async def workspace_and_project(self, owner: User) -> tuple[Any, Any]:
        """A workspace and its project, made through REST; the project as its GET answers
        (with its board of statuses)."""
        workspace = await self.ok(self.projects, "POST", "/workspaces", owner, {"name": "Acme"})
        path = f"/workspaces/{workspace['id']}/projects"
        made = await self.ok(self.projects, "POST", path, owner, {"key": "WEB", "name": "Web"})
        project = await self.ok(self.projects, "GET", f"/projects/{made['id']}", owner)
        return workspace, project

    async def reconcile(self, project_id: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}
        params = {"project_id": project_id} if project_id else {}
        async with httpx.AsyncClient(base_url=self.aggregator, headers=headers) as http:
            response = await http.post("/internal/v1/reconcile", params=params, timeout=60)
        assert response.status_code == 200, response.text
        report: dict[str, Any] = response.json()
        return report

    async def project_shows(
        self, user: User, project_id: str, counts: dict[str, int], derived: str
    ) -> dict[str, Any]:
        """Wait until the projects service's GET shows these counts and derived status."""

        async def shown() -> dict[str, Any]:
            project: dict[str, Any] = await self.ok(
                self.projects, "GET", f"/projects/{project_id}", user
            )
            wanted = project["counts"] == counts and project["derived_status"] == derived
            return project if wanted else {}

        found: dict[str, Any] = await eventually(
            shown, timeout=20, interval=0.05, what=f"the project showing {counts} ({derived})"
        )
        return found


@contextlib.asynccontextmanager
async def running_system(
    infra: Infra,
    templates: dict[str, str],
    amqp: AbstractRobustConnection,
    exchanges: tuple[str, str],
    telemetry: Callable[[str], Telemetry] | None = None,
) -> AsyncIterator[System]:
    """`telemetry(service)`, when given, is each service's (spans kept for the test, say)."""
    made: dict[str, ServiceSettings] = {}

    def of(name: str) -> Telemetry | None:
        return telemetry(name) if telemetry is not None else None

    def up(name: str, build: Builder) -> Any:
        def recorded(options: dict[str, Any]) -> tuple[ServiceSettings, FastAPI]:
            settings, app = build(options)
            made[name] = settings
            return settings, app

        return serve(name, infra, templates[name], amqp, exchanges, recorded)

    async with contextlib.AsyncExitStack() as stack:
        projects = await stack.enter_async_context(
            up("projects", builder(ProjectsSettings, create_projects_app, of("projects")))
        )
        tasks = await stack.enter_async_context(
            up(
                "tasks",
                builder(TasksSettings, create_tasks_app, of("tasks"), projects_url=projects),
            )
        )
        aggregator = await stack.enter_async_context(
            up(
                "aggregator",
                builder(
                    AggregatorSettings,
                    create_aggregator_app,
                    of("aggregator"),
                    projects_url=projects,
                    tasks_url=tasks,
                    consumer_prefetch=64,
                ),
            )
        )
        settings = NotifierSettings(
            environment="development",
            amqp_url=infra.amqp_url,
            exchange=exchanges[0],
            dead_letter_exchange=exchanges[1],
            consumer_queue=f"notifier.t{uuid4().hex[:10]}",
            redis_url=infra.redis_url,
            redis_key_prefix=f"tw:t{uuid4().hex[:10]}:",
            projects_url=projects,
            port=free_port(),
        )
        notifier = await stack.enter_async_context(running_notifier(settings, amqp, of("notifier")))
        counted = made["aggregator"]
        assert isinstance(counted, DatabaseSettings)
        yield System(projects, tasks, aggregator, counted.database_url, url_of(notifier))
