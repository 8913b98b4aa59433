"""Settings: local defaults, one name per setting, start-up failures that name the variable."""

from __future__ import annotations

import os

import pytest
from pydantic_settings import SettingsConfigDict

from taskwire.common.settings import DatabaseSettings, load_settings


class DemoSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="TASKWIRE_DEMO_")

    service_name: str = "demo"
    port: int = 8099


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A local run's environment, unless a test says otherwise."""
    for name in list(os.environ):
        if name.startswith("TASKWIRE_") or name in {"ENVIRONMENT", "AMQP_URL", "DATABASE_URL"}:
            monkeypatch.delenv(name)
    monkeypatch.setenv("TASKWIRE_ENVIRONMENT", "development")


OWN_SECRETS = {"TASKWIRE_JWT_SECRET": "s" * 40, "TASKWIRE_INTERNAL_TOKEN": "i" * 40}


def refusal(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        load_settings(DemoSettings)
    return str(exited.value.code)


def test_defaults_point_at_the_local_services() -> None:
    settings = load_settings(DemoSettings)
    assert settings.database_url.startswith("postgresql+asyncpg://postgres@127.0.0.1:5432/")
    assert settings.amqp_url == "amqp://guest:guest@127.0.0.1:5672/"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert (settings.exchange, settings.dead_letter_exchange) == ("taskwire.events", "taskwire.dlx")
    assert (settings.jwt_algorithm, settings.jwt_audience, settings.jwt_issuer) == (
        "HS256",
        "taskwire",
        "taskwire",
    )
    assert settings.environment == "development"
    assert settings.port == 8099


def test_global_names_are_shared_and_service_settings_take_the_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TASKWIRE_AMQP_URL", "amqp://u:p@rabbit:5672/")
    monkeypatch.setenv("TASKWIRE_DEMO_DATABASE_URL", "postgresql+asyncpg://pg/demo")
    monkeypatch.setenv("TASKWIRE_DEMO_PORT", "9001")
    monkeypatch.setenv("TASKWIRE_JWT_AUDIENCE", "aud-x")
    # A prefixed copy of a global name, and bare unrelated names, are not read.
    monkeypatch.setenv("TASKWIRE_DEMO_AMQP_URL", "amqp://wrong/")
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://wrong/db")
    settings = load_settings(DemoSettings)
    assert settings.amqp_url == "amqp://u:p@rabbit:5672/"
    assert settings.database_url == "postgresql+asyncpg://pg/demo"
    assert settings.port == 9001
    assert settings.jwt_audience == "aud-x"
    assert settings.environment == "development"


def test_keyword_construction_still_works_by_field_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKWIRE_ENVIRONMENT")
    settings = DemoSettings(amqp_url="amqp://kw/", environment="development")
    assert (settings.amqp_url, settings.environment) == ("amqp://kw/", "development")


def test_a_bad_service_value_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, TASKWIRE_DEMO_PORT="abc")
    assert "TASKWIRE_DEMO_PORT" in message
    assert "DemoSettings" in message


def test_a_bad_global_value_names_its_global_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, TASKWIRE_JWT_LEEWAY_SECONDS="abc", TASKWIRE_ENVIRONMENT="prod")
    assert "  TASKWIRE_JWT_LEEWAY_SECONDS:" in message
    assert "  TASKWIRE_ENVIRONMENT:" in message
    assert "TASKWIRE_DEMO_TASKWIRE" not in message


def test_a_database_url_for_another_driver_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, TASKWIRE_DEMO_DATABASE_URL="postgresql://pg/demo")
    assert "postgresql+asyncpg://" in message


def test_rs256_needs_a_jwks_url(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, TASKWIRE_JWT_ALGORITHM="RS256")
    assert "TASKWIRE_JWKS_URL" in message
    monkeypatch.setenv("TASKWIRE_JWKS_URL", "https://id.example/jwks.json")
    assert load_settings(DemoSettings).jwt_algorithm == "RS256"


def test_the_default_secret_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, TASKWIRE_ENVIRONMENT="production")
    assert "TASKWIRE_JWT_SECRET" in message
    monkeypatch.setenv("TASKWIRE_JWT_SECRET", "s" * 40)
    assert "TASKWIRE_INTERNAL_TOKEN" in refusal(monkeypatch)
    monkeypatch.setenv("TASKWIRE_INTERNAL_TOKEN", "i" * 40)
    assert load_settings(DemoSettings).environment == "production"


def test_without_an_environment_the_development_secrets_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TASKWIRE_ENVIRONMENT")
    message = refusal(monkeypatch)
    assert "TASKWIRE_INTERNAL_TOKEN and TASKWIRE_JWT_SECRET are the development defaults" in message
    assert "TASKWIRE_ENVIRONMENT is unset, so production" in message
    assert "set them to secrets of your own" in message
    assert "or TASKWIRE_ENVIRONMENT=development for a local run" in message
    for name, value in OWN_SECRETS.items():
        monkeypatch.setenv(name, value)
    assert load_settings(DemoSettings).environment == "production"


def test_only_development_accepts_the_development_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, TASKWIRE_ENVIRONMENT="test")
    assert "TASKWIRE_ENVIRONMENT is test" in message
    monkeypatch.setenv("TASKWIRE_JWT_SECRET", OWN_SECRETS["TASKWIRE_JWT_SECRET"])
    assert "TASKWIRE_INTERNAL_TOKEN is the development default" in refusal(monkeypatch)


def test_an_http_jwks_url_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    jwks = {"TASKWIRE_JWT_ALGORITHM": "RS256", "TASKWIRE_JWKS_URL": "http://id.example/jwks"}
    message = refusal(monkeypatch, TASKWIRE_ENVIRONMENT="production", **OWN_SECRETS, **jwks)
    assert "TASKWIRE_JWKS_URL must be an https:// URL in production" in message
    monkeypatch.setenv("TASKWIRE_JWKS_URL", "https://id.example/jwks")
    assert load_settings(DemoSettings).jwks_url == "https://id.example/jwks"
    monkeypatch.setenv("TASKWIRE_ENVIRONMENT", "development")
    monkeypatch.setenv("TASKWIRE_JWKS_URL", "http://127.0.0.1:9/jwks")  # a local provider
    assert load_settings(DemoSettings).jwks_url == "http://127.0.0.1:9/jwks"


def test_a_short_internal_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "TASKWIRE_INTERNAL_TOKEN" in refusal(monkeypatch, TASKWIRE_INTERNAL_TOKEN="short")


def test_a_short_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "TASKWIRE_JWT_SECRET" in refusal(monkeypatch, TASKWIRE_JWT_SECRET="short")
