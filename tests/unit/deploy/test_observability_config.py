"""The observability assets under deploy/ agree with Prometheus, Grafana and docker-compose.yml:
promtool accepts both Prometheus configurations and the alerting rules (whose unit tests pass),
the dashboards are sound Grafana JSON written by deploy/grafana/generate.py, and every query
parses. (That every metric they query is exported is checked against the running services, in
tests/e2e/test_queried_metrics.py.)
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml  # type: ignore[import-untyped]

from deploy.grafana import generate
from tests.support.deploy_files import (
    DASHBOARDS,
    GRAFANA,
    PROMETHEUS,
    ROOT,
    RULES,
    Json,
    family,
    load,
    load_documents,
    metric_names,
    panels,
    queries,
    rules,
)
from tests.unit.deploy.test_deploy import SETTINGS, default_port, run_tool

CONFIGS = {"compose": PROMETHEUS / "prometheus.yml", "local": PROMETHEUS / "prometheus.local.yml"}


def promtool(*args: str | Path) -> str:
    return run_tool("promtool", *args, install=" (scripts/tools.sh installs it with apt-get)")


def compose() -> Json:
    (document,) = load_documents(ROOT / "docker-compose.yml")
    return document


# -- what a query selects ------------------------------------------------------------------------


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
