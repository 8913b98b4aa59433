"""Configuration of the notifier; per-service names take the `TASKWIRE_NOTIFIER_` prefix."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from taskwire.common.settings import CommonSettings


class NotifierSettings(CommonSettings):
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
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="browser origins allowed to connect; empty: any. Clients without an "
        "Origin header (not browsers) are always allowed",
    )
