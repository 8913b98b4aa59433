"""Configuration of the notifier; per-service names take the `TASKWIRE_NOTIFIER_` prefix."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

import orjson
from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from taskwire.common.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TASKWIRE_NOTIFIER_")

    service_name: str = "notifier"
    port: int = Field(8004, ge=1, le=65535)
    consumer_queue: str = Field("notifier", min_length=1, max_length=200)
    projects_url: str = Field(
        "http://127.0.0.1:8001", description="the projects service, asked who may join a room"
    )
    http_timeout_seconds: float = Field(3.0, gt=0)
    http_attempts: int = Field(3, ge=1, le=10)
    access_cache_seconds: int = Field(30, ge=0, description="how long a membership is trusted")

    history_length: int = Field(1_000, ge=10, description="events kept per room for resume")
    history_seconds: int = Field(3_600, ge=10, description="how old a kept event may be")
    send_queue_bytes: int = Field(
        1_048_576, ge=4096, description="unsent bytes a client may fall behind by before 4008"
    )
    auth_timeout_seconds: float = Field(10.0, gt=0)
    ping_interval_seconds: float = Field(20.0, gt=0)
    ping_timeout_seconds: float = Field(20.0, gt=0)
    max_frame_bytes: int = Field(65_536, ge=1024)
    messages_per_second: float = Field(20.0, gt=0, description="inbound rate, burst of twice")
    rooms_per_connection: int = Field(100, ge=1)
    connections_per_user: int = Field(20, ge=1, description="across every notifier process")
    # Read by the validator below, not as JSON alone: a comma-separated list is what people type.
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="in production, the browser origins allowed to connect (none: no browser); "
        "elsewhere any. Clients without an Origin header (not browsers) are always allowed",
    )

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            value = orjson.loads(text) if text.startswith("[") else text.split(",")
        if not isinstance(value, list):
            return value
        origins = [str(origin).strip().lower() for origin in value if str(origin).strip()]
        for origin in origins:
            parts = urlsplit(origin)
            # What a browser sends: scheme and host, no path, not even "/"; anything else would
            # never match and lock every browser out without a word.
            if (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or origin != (f"{parts.scheme}://{parts.netloc}")
            ):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
        return origins
