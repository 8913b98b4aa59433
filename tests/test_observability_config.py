"""The observability assets under deploy/ agree with Prometheus, Grafana, docker-compose.yml and
the services: promtool accepts both Prometheus configurations and the alerting rules (whose unit
tests pass), the dashboards are sound Grafana JSON written by deploy/grafana/generate.py, every
query parses, and every metric a dashboard or a rule queries is one its service exports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml  # type: ignore[import-untyped]

from deploy.grafana import generate
from taskwire.common.settings import DatabaseSettings
from taskwire.testkit.users import Users
from tests.support.system import System
from tests.test_deploy import ROOT, SETTINGS, default_port, load_documents, run_tool

PROMETHEUS = ROOT / "deploy" / "prometheus"
CONFIGS = {"compose": PROMETHEUS / "prometheus.yml", "local": PROMETHEUS / "prometheus.local.yml"}
RULES = PROMETHEUS / "rules.yml"
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
# Series Prometheus makes itself for each target; no service exports them.
SYNTHESISED = re.compile(r"up$|scrape_")

Json = dict[str, Any]


def promtool(*args: str | Path) -> str:
    return run_tool("promtool", *args, install=" (scripts/tools.sh installs it with apt-get)")


def compose() -> Json:
    (document,) = load_documents(ROOT / "docker-compose.yml")
    return document


# -- what a query selects ------------------------------------------------------------------------

_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`""")
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"(?<![\w:.$])([a-zA-Z_:][\w:]*)(\s*\()?")
_KEYWORDS = {
    *("by", "without", "on", "ignoring", "group_left", "group_right"),
    *("and", "or", "unless", "bool", "offset", "inf", "nan", "le"),
}


def metric_names(expr: str) -> set[str]:
    """The metrics a PromQL expression selects: its names that are neither a function called
    nor a keyword, once label matchers, ranges, label lists and strings are set aside."""
    text = _STRING.sub('""', expr)
    for pattern, blank in ((_MATCHERS, "{}"), (_RANGE, "[]"), (_LABEL_LIST, " ")):
        text = pattern.sub(blank, text)
    return {
        name for name, call in _NAME.findall(text) if not call and name.lower() not in _KEYWORDS
    }


def family(name: str) -> str:
    """A sample's metric family: its name without the suffix the exposition adds."""
    return re.sub(r"_(?:bucket|sum|count|total)$", "", name)


def test_metric_names_are_what_a_query_selects() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (queue, le) (rate(taskwire_a_bucket{job=~"$job",'
        ' route="/{x}"}[$__rate_interval]))) / on (job) group_left ignoring (le)'
        " sum without (instance) (b_total offset 5m) > bool 1e3"
        " or time() - c{x='y'} unless up and count_over_time(d:rate5m[1h:1m])"
    )
    assert metric_names(expr) == {"taskwire_a_bucket", "b_total", "c", "up", "d:rate5m"}
    assert metric_names("vector(1)") == set()
    assert family("taskwire_a_bucket") == family("taskwire_a_count") == "taskwire_a"
    assert family("process_cpu_seconds_total") == "process_cpu_seconds"
    assert family("taskwire_notifier_connections") == "taskwire_notifier_connections"


# -- Prometheus ----------------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_promtool_accepts_the_configuration_and_its_rules(config: Path) -> None:
    assert "SUCCESS" in promtool("check", "config", config)


def test_promtool_accepts_the_rules_and_each_alert_fires_in_its_unit_test() -> None:
    promtool("check", "rules", RULES)
    promtool("test", "rules", PROMETHEUS / "rules.test.yml")
    (tested,) = load_documents(PROMETHEUS / "rules.test.yml")
    fired = {
        case["alertname"]
        for test in tested["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert fired == {rule["alert"] for rule in rules() if "alert" in rule}


def rules() -> Iterator[Json]:
    (document,) = load_documents(RULES)
    for group in document["groups"]:
        yield from group["rules"]


def seconds(duration: str) -> float:
    found = re.fullmatch(r"(\d+)(ms|s|m)", duration)
    assert found, f"not a duration this test reads: {duration}"
    return int(found[1]) * {"ms": 0.001, "s": 1, "m": 60}[found[2]]


@pytest.mark.parametrize(("where", "host"), [("compose", None), ("local", "127.0.0.1")])
def test_each_configuration_scrapes_every_service_on_its_port(where: str, host: str | None) -> None:
    (config,) = load_documents(CONFIGS[where])
    assert config["rule_files"] == ["rules.yml"]
    interval = config["global"]["scrape_interval"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert list(jobs) == list(SETTINGS)
    for service, job in jobs.items():
        (static,) = job["static_configs"]
        assert static["targets"] == [f"{host or service}:{default_port(service)}"], service
        assert job.get("metrics_path", "/metrics") == "/metrics"
        assert 5 <= seconds(job.get("scrape_interval", interval)) <= 15, service


# -- Grafana -------------------------------------------------------------------------------------


def provisioned(kind: str) -> Json:
    (path,) = (GRAFANA / "provisioning" / kind).glob("*.yml")
    (document,) = load_documents(path)
    return document


def prometheus_uid() -> str:
    (source,) = [s for s in provisioned("datasources")["datasources"] if s["type"] == "prometheus"]
    uid = source["uid"]
    assert isinstance(uid, str)
    return uid


def panels(dashboard: Json) -> Iterator[Json]:
    """Its panels that query, those inside rows included."""
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def queries(dashboard: Json) -> Iterator[str]:
    for panel in panels(dashboard):
        for target in panel["targets"]:
            yield target["expr"]


def load(path: Path) -> Json:
    document = json.loads(path.read_text())
    assert isinstance(document, dict), path
    return document


def test_the_dashboards_are_what_the_generator_writes() -> None:
    assert {p.name for p in DASHBOARDS} == {*(f"{s}.json" for s in SETTINGS), "pipeline.json"}
    assert generate.main(["--check"]) == 0, "run: uv run python deploy/grafana/generate.py"


def test_every_dashboard_is_grafana_json_on_the_provisioned_prometheus() -> None:
    uid = prometheus_uid()
    uids: set[str] = set()
    for path in DASHBOARDS:
        dashboard = load(path)
        assert isinstance(dashboard["schemaVersion"], int), path.name
        assert dashboard["title"], path.name
        assert 0 < len(dashboard["uid"]) <= 40, path.name
        assert dashboard["uid"] not in uids, f"{path.name}: uid {dashboard['uid']} twice"
        uids.add(dashboard["uid"])
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)), f"{path.name}: panel ids repeat"
        for variable in dashboard["templating"]["list"]:
            assert variable["datasource"]["uid"] == uid, f"{path.name}: ${variable['name']}"
        for panel in [*panels(dashboard)]:
            where = f"{path.name}: {panel['title']}"
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, where
            assert grid["h"] > 0, where
            assert panel["datasource"]["uid"] == uid, where
            assert panel["targets"], where
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == uid, where
                assert metric_names(target["expr"]), f"{where}: no metric in {target['expr']}"


def test_every_dashboard_query_parses(tmp_path: Path) -> None:
    """Each query as a recording rule that promtool checks, Grafana's variables filled in."""
    expressions = sorted({expr for path in DASHBOARDS for expr in queries(load(path))})
    filled = [re.sub(r"\$\w+", ".*", e.replace("$__rate_interval", "1m")) for e in expressions]
    recorded = [{"record": f"taskwire:query_{n}", "expr": e} for n, e in enumerate(filled)]
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": recorded}]}))
    assert f"SUCCESS: {len(recorded)} rules found" in promtool("check", "rules", path)


def test_grafana_and_prometheus_in_compose_read_these_files_and_services_send_traces() -> None:
    services = compose()["services"]
    for service in SETTINGS:
        entry = services[service]
        assert entry["environment"]["TASKWIRE_OTLP_ENDPOINT"] == "http://jaeger:4318", service
        assert "jaeger" not in entry.get("depends_on", {}), f"{service} waits for tracing"
    assert set(SETTINGS) <= set(services["prometheus"]["depends_on"])
    assert "prometheus" in services["grafana"]["depends_on"]
    mounts = {
        source: target
        for name in ("prometheus", "grafana")
        for source, target, *_ in (v.split(":") for v in services[name]["volumes"])
    }
    assert mounts["./deploy/prometheus"] == "/etc/prometheus"
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    (provider,) = provisioned("dashboards")["providers"]
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    for source in provisioned("datasources")["datasources"]:
        assert urlsplit(source["url"]).hostname in services, source["name"]


# -- the running services ------------------------------------------------------------------------


async def exported_families(base_url: str) -> set[str]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200, f"{base_url}/metrics: {response.status_code}"
    return {family(name) for name in re.findall(r"^# TYPE (\S+) ", response.text, re.M)}


def queried() -> Iterator[tuple[str, set[str]]]:
    """What each dashboard and the rules query, by the file's name."""
    for path in DASHBOARDS:
        yield path.name, set().union(*map(metric_names, queries(load(path))))
    yield RULES.name, set().union(*(metric_names(rule["expr"]) for rule in rules()))


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
