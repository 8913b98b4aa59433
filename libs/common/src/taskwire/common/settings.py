"""Typed configuration: one name per setting across the system (README.md, "Configuration").

System-wide settings (`TASKWIRE_AMQP_URL`, `TASKWIRE_JWT_*`, ...) keep their global name in every
service; per-service settings (`database_url`, `port`, pool sizes) take the service's prefix, e.g.
`TASKWIRE_PROJECTS_DATABASE_URL`.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Literal, Self, TypeVar
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_JWT_SECRET = "taskwire-development-secret-change-me-0123456789"
DEVELOPMENT_INTERNAL_TOKEN = "taskwire-development-internal-token-change-me"


def _global(name: str) -> AliasChoices:
    """Read a setting from its one system-wide name, whatever the service's prefix.

    Only the prefixed name: a bare alias would also pick up unrelated variables such as
    ENVIRONMENT. Keyword arguments still work by field name (`validate_by_name`).
    """
    return AliasChoices(f"TASKWIRE_{name.upper()}")


class ServiceSettings(BaseSettings):
    """What every service needs: who it is, where it listens, the broker, Redis, tokens,
    telemetry and admission. Subclasses set `env_prefix` to `TASKWIRE_<SERVICE>_`; a service with
    a database takes `DatabaseSettings` instead."""

    model_config = SettingsConfigDict(
        env_prefix="TASKWIRE_", extra="ignore", validate_by_name=True, frozen=True
    )

    service_name: str = "taskwire"
    # Production unless told otherwise: a deployment that forgets the variable must not run
    # with the development secrets, which anyone can read in the source.
    environment: Literal["development", "test", "production"] = Field(
        "production", validation_alias=_global("environment")
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)

    # Admission (taskwire.common.admission): requests worked on at once, at most
    # max_requests_in_flight and fewer while the event loop runs later than max_loop_lag_ms;
    # beyond it they wait in a queue per caller, taken in turn, for at most
    # request_queue_seconds (then 503); a caller with max_requests_queued_per_caller already
    # waiting is answered 429.
    max_requests_in_flight: int = Field(32, ge=2, le=10_000)
    max_loop_lag_ms: float = Field(10.0, gt=0, le=10_000)
    max_requests_queued_per_caller: int = Field(64, ge=0, le=100_000)
    max_requests_queued: int = Field(512, ge=0, le=1_000_000)
    request_queue_seconds: float = Field(1.0, gt=0, le=60)

    amqp_url: str = Field(
        "amqp://guest:guest@127.0.0.1:5672/", validation_alias=_global("amqp_url")
    )
    exchange: str = Field("taskwire.events", validation_alias=_global("exchange"))
    dead_letter_exchange: str = Field(
        "taskwire.dlx", validation_alias=_global("dead_letter_exchange")
    )
    consumer_prefetch: int = Field(64, ge=1, le=10_000)
    consumer_delivery_limit: int = Field(5, ge=1, le=100)
    # The least time between the starts of a batch consumer's batches. A message after a quiet
    # spell is applied at once; under a steady flow the messages of each interval share one
    # transaction (and one event per project) instead of one each, and none waits longer than
    # this. Zero for a consumer on the path to a user's screen.
    consumer_linger_ms: float = Field(0.0, ge=0, le=1_000)

    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias=_global("redis_url"))
    redis_key_prefix: str = Field("taskwire:", validation_alias=_global("redis_key_prefix"))

    jwt_secret: SecretStr = Field(
        SecretStr(DEVELOPMENT_JWT_SECRET), validation_alias=_global("jwt_secret")
    )
    jwt_algorithm: Literal["HS256", "RS256"] = Field(
        "HS256", validation_alias=_global("jwt_algorithm")
    )
    jwt_audience: str = Field("taskwire", validation_alias=_global("jwt_audience"))
    jwt_issuer: str = Field("taskwire", validation_alias=_global("jwt_issuer"))
    jwks_url: str | None = Field(None, validation_alias=_global("jwks_url"))
    # How old the JWKS may get before it is fetched again; also how long a key the provider has
    # just rotated in may go unknown, since an unknown kid does not trigger a fetch of its own.
    jwks_refresh_seconds: float = Field(
        300.0, gt=0, le=86_400, validation_alias=_global("jwks_refresh_seconds")
    )
    jwt_leeway_seconds: int = Field(
        30, ge=0, le=300, validation_alias=_global("jwt_leeway_seconds")
    )

    # What one service shows another on the internal routes (/internal/v1/...), which the
    # gateway never exposes: a shared secret, since with RS256 no service can mint a user token.
    internal_token: SecretStr = Field(
        SecretStr(DEVELOPMENT_INTERNAL_TOKEN), validation_alias=_global("internal_token")
    )

    # Traces go by OTLP over HTTP to this collector (e.g. http://jaeger:4318); none: not exported.
    otlp_endpoint: str | None = Field(None, validation_alias=_global("otlp_endpoint"))
    trace_sample_ratio: float = Field(
        1.0, ge=0.0, le=1.0, validation_alias=_global("trace_sample_ratio")
    )
    log_format: Literal["json", "text"] = Field("json", validation_alias=_global("log_format"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=_global("log_level")
    )
    slow_query_ms: float = Field(100.0, ge=0, validation_alias=_global("slow_query_ms"))
    # How often the figures not kept per event (outbox backlog, queue depth, dependencies) are
    # read for /metrics.
    metrics_sample_seconds: float = Field(
        5.0, gt=0, le=300, validation_alias=_global("metrics_sample_seconds")
    )

    max_body_bytes: int = Field(1_048_576, ge=1024)

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        if self.jwt_algorithm == "RS256" and not self.jwks_url:
            raise ValueError("TASKWIRE_JWKS_URL is required when TASKWIRE_JWT_ALGORITHM=RS256")
        if self.environment == "production" and self.jwks_url and not _is_https(self.jwks_url):
            # Keys fetched over plain HTTP can be swapped on the way for the attacker's own.
            raise ValueError("TASKWIRE_JWKS_URL must be an https:// URL in production")
        secrets = {"TASKWIRE_INTERNAL_TOKEN": self.internal_token}
        if self.jwt_algorithm == "HS256":
            secrets["TASKWIRE_JWT_SECRET"] = self.jwt_secret
        problems = _secret_problems(secrets, self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


class DatabaseSettings(ServiceSettings):
    """A service that owns a database: its connection pool, and the outbox its events wait in."""

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/taskwire"
    db_pool_size: int = Field(10, ge=1, le=200)
    # No overflow by default: under a burst, overflow connections are opened and closed request
    # by request (a TLS attempt, a start-up, every statement prepared again), which costs more
    # than waiting a moment for one of the pool's.
    db_max_overflow: int = Field(0, ge=0, le=200)
    # No ping before each checkout: it is a round trip per transaction (a third of a consumer's
    # when a transaction is one statement). A connection the server dropped fails one attempt
    # instead (a consumer retries it, a request is answered 503 and retried by its client), and
    # SQLAlchemy then discards every connection of the pool older than the failure.
    db_pool_pre_ping: bool = False
    db_pool_recycle_seconds: int = Field(1800, ge=-1)
    db_statement_timeout_ms: int = Field(15_000, ge=0)
    # How long a request may wait for a pooled connection before it is answered 503: a pool
    # that stays empty longer is overloaded, and waiting longer only piles requests up.
    db_pool_timeout_seconds: float = Field(1.0, gt=0, le=60)

    outbox_poll_seconds: float = Field(5.0, gt=0)
    outbox_batch_size: int = Field(200, ge=1, le=10_000)
    outbox_retention_seconds: int = Field(86_400, ge=0)
    outbox_lock_key: int | None = None

    @model_validator(mode="after")
    def _check_database_url(self) -> Self:
        if not self.database_url.startswith("postgresql+asyncpg://"):
            raise ValueError(
                f"database_url must start with postgresql+asyncpg:// (got {self.database_url!r})"
            )
        return self


_DEVELOPMENT_SECRETS = {DEVELOPMENT_JWT_SECRET, DEVELOPMENT_INTERNAL_TOKEN}


def _is_https(url: str) -> bool:
    return urlsplit(url).scheme.lower() == "https"


def _secret_problems(secrets: dict[str, SecretStr], settings: ServiceSettings) -> list[str]:
    values = {name: secret.get_secret_value() for name, secret in secrets.items()}
    problems = [
        f"{name} must be at least 32 characters" for name, v in values.items() if len(v) < 32
    ]
    public = [name for name, value in values.items() if value in _DEVELOPMENT_SECRETS]
    if public and settings.environment != "development":
        told = "environment" in settings.model_fields_set
        environment = settings.environment if told else "unset, so production"
        what, fix = (
            ("is the development default", "it to a secret")
            if len(public) == 1
            else ("are the development defaults", "them to secrets")
        )
        problems.append(
            f"{' and '.join(public)} {what}, public in the source, and TASKWIRE_ENVIRONMENT is "
            f"{environment}: set {fix} of your own (32 or more characters), or "
            "TASKWIRE_ENVIRONMENT=development for a local run"
        )
    return problems


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def load_settings(cls: type[SettingsT], **given: Any) -> SettingsT:
    """Build settings from the environment (and `given`, which wins); on a bad value, exit
    naming each offending variable."""
    try:
        return cls(**given)
    except ValidationError as exc:
        prefix = cls.model_config.get("env_prefix", "")
        lines = [f"{cls.__name__}: invalid configuration"]
        for err in exc.errors():
            loc = [str(part) for part in err["loc"]]
            field = loc[0] if loc else ""
            name = _env_name(cls, field, prefix) if field else "(settings)"
            lines.append(f"  {name}: {err['msg']}")
        sys.exit("\n".join(lines))


def load_local_settings(cls: type[SettingsT]) -> SettingsT:
    """Settings for a tool run beside a local system (`taskwire-token`, the demo): development
    unless TASKWIRE_ENVIRONMENT says otherwise. Services never assume it."""
    if "TASKWIRE_ENVIRONMENT" in os.environ:
        return load_settings(cls)
    return load_settings(cls, environment="development")


def _env_name(cls: type[ServiceSettings], loc: str, prefix: str) -> str:
    # pydantic reports an aliased field under the alias it read (already the variable's name),
    # and any other field under its own name, which the service's prefix turns into the variable.
    for name, info in cls.model_fields.items():
        if not isinstance(info.validation_alias, AliasChoices):
            continue
        aliases = [c for c in info.validation_alias.choices if isinstance(c, str)]
        if loc == name or loc.upper() in (a.upper() for a in aliases):
            return aliases[0] if aliases else loc
    return f"{prefix}{loc}".upper()
