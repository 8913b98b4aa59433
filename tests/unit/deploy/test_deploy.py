"""The deployment assets under deploy/ agree with the code: the Kubernetes manifests with each
service's settings (variable names, ports), commands and health routes, docker-compose.yml with
the settings' names, and the RabbitMQ definitions with what the services declare.

No network, no cluster: the YAML is read as it is, and built with `kubectl kustomize` (offline)
where kubectl is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from pydantic import AliasChoices

from deploy.rabbitmq import generate
from taskwire.aggregator.cli import main as aggregator_cli
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.common.broker import QueueSpec
from taskwire.common.settings import ServiceSettings
from taskwire.notifier import handlers
from taskwire.notifier.app import Notifier
from taskwire.notifier.cli import main as notifier_cli
from taskwire.notifier.settings import NotifierSettings
from taskwire.projects.cli import main as projects_cli
from taskwire.projects.settings import ProjectsSettings
from taskwire.tasks.cli import main as tasks_cli
from taskwire.tasks.settings import TasksSettings
from tests.support.deploy_files import ROOT, load_documents

K8S = ROOT / "deploy" / "k8s"
SECRET_EXAMPLE = K8S / "secret.example.yaml"
SECRET = "taskwire-secrets"
IMAGE_USER = 10001  # services/Dockerfile: useradd --uid 10001

SETTINGS: dict[str, type[ServiceSettings]] = {
    "projects": ProjectsSettings,
    "tasks": TasksSettings,
    "aggregator": AggregatorSettings,
    "notifier": NotifierSettings,
}
CLIS: dict[str, Callable[[list[str] | None], None]] = {
    "projects": projects_cli,
    "tasks": tasks_cli,
    "aggregator": aggregator_cli,
    "notifier": notifier_cli,
}
# Database URLs and the rest that carries a password come from the Secret, never a ConfigMap.
SECRET_NAMES = {
    "TASKWIRE_JWT_SECRET",
    "TASKWIRE_INTERNAL_TOKEN",
    "TASKWIRE_AMQP_URL",
    *(f"TASKWIRE_{name.upper()}_DATABASE_URL" for name in ("projects", "tasks", "aggregator")),
}

Manifest = dict[str, Any]


# -- what the settings read ---------------------------------------------------------------------


def setting_names(settings: type[ServiceSettings]) -> set[str]:
    """Every environment variable a settings class reads: a field with a validation alias by its
    alias alone (the system-wide TASKWIRE_<NAME>), any other by the class's prefix and its name."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field, info in settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(c.upper() for c in alias.choices if isinstance(c, str))
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{field}".upper())
    return names


ALL_NAMES = set().union(*(setting_names(s) for s in SETTINGS.values()))


def default_port(service: str) -> int:
    port = SETTINGS[service].model_fields["port"].default
    assert isinstance(port, int)
    return port


def test_setting_names_are_the_variables_the_services_read() -> None:
    projects = setting_names(ProjectsSettings)
    assert {"TASKWIRE_PROJECTS_DATABASE_URL", "TASKWIRE_PROJECTS_PORT"} <= projects
    assert {"TASKWIRE_AMQP_URL", "TASKWIRE_JWT_SECRET", "TASKWIRE_ENVIRONMENT"} <= projects
    # A misspelling, another service's name, or a global setting under a prefix is not one.
    assert "TASKWIRE_PROJECT_DATABASE_URL" not in projects
    assert "TASKWIRE_TASKS_PROJECTS_URL" not in projects
    assert "TASKWIRE_PROJECTS_AMQP_URL" not in projects
    assert "TASKWIRE_DATABASE_URL" not in ALL_NAMES
    assert "TASKWIRE_TASKS_PROJECTS_URL" in setting_names(TasksSettings)


# -- reading the manifests -------------------------------------------------------------------


def kustomizations() -> list[Path]:
    return sorted(p.parent for p in K8S.rglob("kustomization.yaml"))


def kustomization(directory: Path) -> Manifest:
    (document,) = load_documents(directory / "kustomization.yaml")
    return document


def resources(directory: Path) -> Iterator[Manifest]:
    """The objects a kustomization lists, its bases' included, before any patch."""
    for entry in kustomization(directory).get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            yield from resources(path)
        else:
            yield from load_documents(path)


def index(objects: Iterable[Manifest]) -> dict[tuple[str, str], Manifest]:
    indexed: dict[tuple[str, str], Manifest] = {}
    for obj in objects:
        key = (obj["kind"], obj["metadata"]["name"])
        assert key not in indexed, f"{key} is defined twice"
        indexed[key] = obj
    return indexed


def run_tool(name: str, *args: str | Path, install: str = "") -> str:
    """What a program prints, which must succeed; the test is skipped where it is missing."""
    tool = shutil.which(name)
    if tool is None:
        pytest.skip(f"{name} is not installed{install}")
    done = subprocess.run(
        [tool, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def kustomize_build(directory: Path) -> list[Manifest]:
    built = run_tool("kubectl", "kustomize", directory)
    return [doc for doc in yaml.safe_load_all(built) if doc is not None]


BASE = K8S / "base"


@pytest.fixture(scope="module")
def base() -> dict[tuple[str, str], Manifest]:
    return index(resources(BASE))


def test_every_manifest_parses_and_names_its_kind() -> None:
    paths = sorted(K8S.rglob("*.yaml"))
    assert paths
    for path in paths:
        documents = load_documents(path)
        assert documents, f"{path} is empty"
        for doc in documents:
            assert doc.get("apiVersion"), f"{path}: {doc!r:.80}"
            assert doc.get("kind"), f"{path}: {doc!r:.80}"


def test_every_kustomization_lists_what_exists_and_not_the_example_secret() -> None:
    assert {BASE, K8S / "overlays" / "dev"} <= set(kustomizations())
    for directory in kustomizations():
        document = kustomization(directory)
        listed = list(document.get("resources", []))
        listed += [p["path"] for p in document.get("patches", []) if "path" in p]
        for entry in listed:
            path = (directory / entry).resolve()
            assert path.exists(), f"{directory}/kustomization.yaml: {entry} does not exist"
            if path.is_dir():
                assert (path / "kustomization.yaml").exists(), f"{entry} is no kustomization"
            assert path != SECRET_EXAMPLE.resolve(), "the example Secret must not be applied"
    assert kustomization(BASE)["namespace"] == "taskwire"


@pytest.mark.parametrize("directory", kustomizations(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_kustomization_builds_with_every_service_sound(directory: Path) -> None:
    objects = index(kustomize_build(directory))
    for service in SETTINGS:
        check_service(objects, service)


# -- each service ----------------------------------------------------------------------------


def containers(deployment: Manifest) -> list[Manifest]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def server(deployment: Manifest, service: str) -> Manifest:
    found: list[Manifest] = [
        c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == service
    ]
    assert len(found) == 1, f"{service}: no container named {service}"
    return found[0]


def container_port(container: Manifest, port: int | str) -> int:
    """A probe's or a Service's port, a number or the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == port]
    assert isinstance(number, int)
    return number


def matches(selector: Manifest, labels: Manifest) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_service(objects: dict[tuple[str, str], Manifest], service: str) -> None:
    port = default_port(service)
    deployment = objects.get(("Deployment", service))
    assert deployment is not None, f"no Deployment {service}"
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert matches(deployment["spec"]["selector"]["matchLabels"], labels)
    main = server(deployment, service)
    assert main["image"].split(":")[0].rsplit("/", 1)[-1] == f"taskwire-{service}"

    # Health on the service's own port, as its settings have it.
    assert container_port(main, "http") == port, f"{service}: container port"
    for probe, path in (("livenessProbe", "/livez"), ("readinessProbe", "/readyz")):
        get = main[probe]["httpGet"]
        assert get["path"] == path, f"{service}: {probe}"
        assert container_port(main, get["port"]) == port, f"{service}: {probe} port"
    if "startupProbe" in main:
        assert container_port(main, main["startupProbe"]["httpGet"]["port"]) == port
    for container in containers(deployment):
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert env.get(f"TASKWIRE_{service.upper()}_PORT", str(port)) == str(port)

    svc = objects.get(("Service", service))
    assert svc is not None, f"no Service {service}"
    assert matches(svc["spec"]["selector"], labels)
    (service_port,) = svc["spec"]["ports"]
    assert service_port["port"] == port, f"{service}: Service port"
    assert container_port(main, service_port.get("targetPort", port)) == port

    # Resources, a non-root user, no escalation, and a way to stop cleanly.
    spec = pod["spec"]
    assert spec.get("terminationGracePeriodSeconds", 0) >= 30
    for container in containers(deployment):
        resources = container.get("resources", {})
        assert resources.get("requests", {}).keys() >= {"cpu", "memory"}, container["name"]
        assert "memory" in resources.get("limits", {}), container["name"]
        context = {**spec.get("securityContext", {}), **container.get("securityContext", {})}
        assert context.get("runAsNonRoot") is True, f"{service}/{container['name']}"
        assert context.get("runAsUser", IMAGE_USER) == IMAGE_USER
        assert context.get("allowPrivilegeEscalation") is False, f"{service}/{container['name']}"
        assert container["image"] == main["image"]
        check_command(service, container.get("args", []))

    hpa = objects.get(("HorizontalPodAutoscaler", service))
    assert hpa is not None, f"no HorizontalPodAutoscaler {service}"
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", service)
    assert 1 <= hpa["spec"].get("minReplicas", 1) <= hpa["spec"]["maxReplicas"]
    metrics = hpa["spec"]["metrics"]
    assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in metrics)

    pdb = objects.get(("PodDisruptionBudget", service))
    assert pdb is not None, f"no PodDisruptionBudget {service}"
    assert matches(pdb["spec"]["selector"]["matchLabels"], labels)
    assert pdb["spec"].keys() & {"minAvailable", "maxUnavailable"}


def check_command(service: str, args: list[str]) -> None:
    """The image runs `taskwire-<service> ARGS` (services/docker-entrypoint.sh; default: run):
    the service's own CLI must know the command."""
    command = args[0] if args else "run"
    with pytest.raises(SystemExit) as exited:
        CLIS[service]([command, "--help"])
    assert exited.value.code == 0, f"taskwire-{service} has no command {command!r}"


@pytest.mark.parametrize("service", SETTINGS)
def test_each_service_is_deployed_soundly(
    base: dict[tuple[str, str], Manifest], service: str
) -> None:
    check_service(base, service)


def test_check_command_refuses_a_command_the_service_lacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(AssertionError, match="no command 'migrate'"):
        check_command("notifier", ["migrate"])
    capsys.readouterr()


# -- variable names ----------------------------------------------------------------------------


def test_every_variable_in_the_manifests_is_a_setting_of_its_service(
    base: dict[tuple[str, str], Manifest],
) -> None:
    config_maps = {name: obj for (kind, name), obj in base.items() if kind == "ConfigMap"}
    (secret_example,) = load_documents(SECRET_EXAMPLE)
    assert secret_example["kind"] == "Secret"
    assert secret_example["metadata"]["name"] == SECRET
    secret_keys = set(secret_example["stringData"])
    assert secret_keys <= ALL_NAMES, secret_keys - ALL_NAMES
    referenced: set[str] = set()

    for config_map in config_maps.values():
        keys = set(config_map["data"])
        assert keys <= ALL_NAMES, f"not settings: {sorted(keys - ALL_NAMES)}"
        assert not keys & SECRET_NAMES, f"secrets in a ConfigMap: {sorted(keys & SECRET_NAMES)}"

    for service, settings in SETTINGS.items():
        valid = setting_names(settings)
        for container in containers(base[("Deployment", service)]):
            where = f"{service}/{container['name']}"
            for source in container.get("envFrom", []):
                assert source.get("configMapRef", {}).get("name") in config_maps, where
            for variable in container.get("env", []):
                name = variable["name"]
                assert name in valid, f"{where}: {name} is not a setting of {service}"
                ref = variable.get("valueFrom", {})
                if "secretKeyRef" in ref:
                    assert ref["secretKeyRef"]["name"] == SECRET, where
                    assert ref["secretKeyRef"]["key"] in secret_keys, f"{where}: {name}"
                    referenced.add(ref["secretKeyRef"]["key"])
                elif "configMapKeyRef" in ref:
                    key = ref["configMapKeyRef"]
                    assert key["key"] in config_maps[key["name"]]["data"], f"{where}: {name}"
                else:
                    assert name not in SECRET_NAMES, f"{where}: {name} written in the clear"
        if service != "notifier":
            assert f"TASKWIRE_{service.upper()}_DATABASE_URL" in referenced
    assert referenced == secret_keys, f"unused in the example Secret: {secret_keys - referenced}"


def test_only_docker_compose_runs_as_development(base: dict[tuple[str, str], Manifest]) -> None:
    """Development is the one environment that accepts the development secrets: compose runs on
    them; no Kubernetes manifest may say development, and the cluster's config says production."""
    (compose,) = load_documents(ROOT / "docker-compose.yml")
    for service in SETTINGS:
        assert compose["services"][service]["environment"]["TASKWIRE_ENVIRONMENT"] == "development"
    for manifest in K8S.rglob("*.yaml"):
        text = manifest.read_text()
        assert not re.search(r"TASKWIRE_ENVIRONMENT\W+development", text), manifest
    assert base[("ConfigMap", "taskwire-config")]["data"]["TASKWIRE_ENVIRONMENT"] == "production"


def test_every_variable_in_docker_compose_is_a_setting_of_its_service() -> None:
    (compose,) = load_documents(ROOT / "docker-compose.yml")
    for service, settings in SETTINGS.items():
        assert service in compose["services"], f"docker-compose.yml has no {service}"
        entry = compose["services"][service]
        environment = entry.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        unknown = set(environment) - setting_names(settings)
        assert not unknown, f"docker-compose.yml {service}: not settings: {sorted(unknown)}"
        port = default_port(service)
        assert environment.get(f"TASKWIRE_{service.upper()}_PORT", str(port)) == str(port)
        assert entry["build"]["args"]["PORT"] == str(port)


def test_every_container_in_docker_compose_has_a_healthcheck_and_its_files() -> None:
    """Whatever another container waits for is checked, so `service_healthy` can hold; a file
    or folder of the repository a container mounts exists."""
    (compose,) = load_documents(ROOT / "docker-compose.yml")
    services = compose["services"]
    assert {"jaeger", "prometheus", "grafana"} <= set(services)
    for name, entry in services.items():
        check = entry.get("healthcheck", {})
        assert check.get("test", ["NONE"]) != ["NONE"], f"{name}: no healthcheck"
        assert not check.get("disable"), f"{name}: healthcheck disabled"
        for dependency, wait in entry.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on {dependency}, not in the file"
            assert wait["condition"] in {"service_started", "service_healthy"}, name
        for volume in entry.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"


# -- RabbitMQ definitions ----------------------------------------------------------------------


def test_rabbitmq_definitions_are_what_the_generator_writes() -> None:
    written = generate.DEFINITIONS.read_text()
    assert written == generate.render(), "run: uv run python deploy/rabbitmq/generate.py"
    assert generate.main(["--check"]) == 0


def test_rabbitmq_definitions_hold_each_consumer_queue_its_dead_letters_and_bindings() -> None:
    definitions = generate.definitions()
    assert [v["name"] for v in definitions["vhosts"]] == ["/"]
    assert not definitions.keys() & {"users", "permissions"}
    exchanges = {e["name"]: e for e in definitions["exchanges"]}
    assert exchanges["taskwire.events"]["type"] == "topic"
    assert exchanges["taskwire.dlx"]["type"] == "direct"
    assert all(e["durable"] for e in exchanges.values())
    queues = {q["name"]: q for q in definitions["queues"]}
    bindings = {(b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]}
    for spec in generate.queue_specs():
        assert queues[spec.name]["durable"]
        assert queues[spec.dead_letter_queue]["durable"]
        assert queues[spec.name]["arguments"] == {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": "taskwire.dlx",
            "x-dead-letter-routing-key": spec.name,
            "x-delivery-limit": 6,
        }
        assert queues[spec.dead_letter_queue]["arguments"] == {"x-queue-type": "quorum"}
        assert ("taskwire.dlx", spec.dead_letter_queue, spec.name) in bindings
        assert spec.bindings
        for key in spec.bindings:
            assert ("taskwire.events", spec.name, key) in bindings
    assert {s.name for s in generate.queue_specs()} == set(SETTINGS)
    assert len(queues) == 2 * len(SETTINGS)


async def test_the_notifier_bindings_named_by_the_generator_are_the_notifiers() -> None:
    settings = NotifierSettings()
    notifier = Notifier(settings)
    try:
        expected = QueueSpec(
            settings.consumer_queue, handlers.BINDINGS, settings.consumer_delivery_limit
        )
        assert notifier.consumer.spec == expected
    finally:
        await notifier.projects.close()
        await notifier.redis.aclose()


def test_docker_compose_accepts_the_file() -> None:
    """`docker compose config` where the compose plugin is installed (it needs no engine)."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    plugin = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, timeout=30, check=False
    )
    if plugin.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    run_tool("docker", "compose", "-f", ROOT / "docker-compose.yml", "config", "--quiet")
