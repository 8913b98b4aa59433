"""The shared service CLI speaks in the service's own names: its command and its variables."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from alembic.util import CommandError
from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from taskwire.common.migrate import Migrations
from taskwire.common.service_cli import explain, run_cli
from taskwire.common.settings import DatabaseSettings

URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/demo"


class DemoSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="TASKWIRE_DEMO_")


DEMO_MIGRATIONS = Migrations(Path(__file__).parent / "demo_migrations", "taskwire.demo.migrations")


def _no_app(settings: DemoSettings) -> FastAPI:
    raise AssertionError("migrating must not build the app")


def test_the_usage_names_the_service(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run_cli("demo", DemoSettings, DEMO_MIGRATIONS, _no_app, [])
    assert exited.value.code == 2
    assert "usage: taskwire-demo [-h] {migrate,serve,run}" in capsys.readouterr().err


def test_a_service_will_not_start_on_the_development_secrets_outside_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TASKWIRE_ENVIRONMENT")
    with pytest.raises(SystemExit) as exited:
        run_cli("demo", DemoSettings, DEMO_MIGRATIONS, _no_app, ["serve"])
    assert "TASKWIRE_ENVIRONMENT=development for a local run" in str(exited.value.code)


def test_an_unreachable_server_names_the_services_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKWIRE_DEMO_DATABASE_URL", URL.replace(":5432", ":1"))
    with pytest.raises(SystemExit) as exited:
        run_cli("demo", DemoSettings, DEMO_MIGRATIONS, _no_app, ["migrate"])
    message = str(exited.value.code)
    assert message.startswith("demo: Postgres is not reachable at ")
    assert "set TASKWIRE_DEMO_DATABASE_URL to the right server" in message


def test_the_next_step_names_the_services_command() -> None:
    refused = explain("demo", asyncpg.InsufficientPrivilegeError("denied"), URL, "bob", "demo")
    assert refused.startswith("demo: user 'bob' may not create or change database 'demo'")
    assert "then run `taskwire-demo migrate` again" in refused
    newer = explain("demo", CommandError("Can't locate revision '0009'"), URL, "bob", "demo")
    assert newer.startswith(f"demo: the schema of {URL} cannot be upgraded")
