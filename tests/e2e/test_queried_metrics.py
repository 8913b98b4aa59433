"""Every metric a Grafana dashboard or a Prometheus rule under deploy/ queries is one its service
exports, as the running services show on /metrics."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

from taskwire.common.settings import DatabaseSettings
from taskwire.testkit.users import Users
from tests.support.deploy_files import family, queried
from tests.support.system import System

# Series Prometheus makes itself for each target; no service exports them.
SYNTHESISED = re.compile(r"up$|scrape_")


async def exported_families(base_url: str) -> set[str]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200, f"{base_url}/metrics: {response.status_code}"
    return {family(name) for name in re.findall(r"^# TYPE (\S+) ", response.text, re.M)}


async def test_every_metric_queried_is_exported_by_its_service(system: System) -> None:
    ada = Users(DatabaseSettings())("ada")
    _, project = await system.workspace_and_project(ada)
    path = f"/projects/{project['id']}/tasks"
    await system.ok(system.tasks, "POST", path, ada, {"title": "Watch it"})
    notifier = urlsplit(system.notifier)._replace(scheme="http", path="").geturl()
    bases = {
        "projects": system.projects,
        "tasks": system.tasks,
        "aggregator": system.aggregator,
        "notifier": notifier,
    }
    exported = {service: await exported_families(url) for service, url in bases.items()}
    everywhere = set().union(*exported.values())
    missing: list[str] = []
    for name, metrics in queried():
        # A service's dashboard, its own; the pipeline's and the rules, any service's.
        service = name.removesuffix(".json")
        families = exported.get(service, everywhere)
        owner = service if service in exported else "any service"
        absent = {m for m in metrics if not SYNTHESISED.match(m) and family(m) not in families}
        missing += [f"{name}: {metric} is not exported by {owner}" for metric in sorted(absent)]
    assert not missing, "\n".join(missing)
