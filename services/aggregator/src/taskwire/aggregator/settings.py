"""Configuration of the aggregator; per-service names take the `TASKWIRE_AGGREGATOR_` prefix."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from taskwire.common.settings import DatabaseSettings


class AggregatorSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="TASKWIRE_AGGREGATOR_")

    service_name: str = "aggregator"
    port: int = Field(8003, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/taskwire_aggregator"
    consumer_queue: str = Field("aggregator", min_length=1, max_length=200)
    # A batch is at most the prefetch: one transaction and one ack for up to this many events.
    consumer_prefetch: int = Field(256, ge=1, le=10_000)
    # Counts are not on the path of a task's frame to the board: under a steady flow of writes
    # the counts follow at most this late, in one transaction and one progress event per
    # project for each interval instead of one per write; after a quiet spell, at once.
    consumer_linger_ms: float = Field(200.0, ge=0, le=1_000)
    tasks_url: str = Field(
        "http://127.0.0.1:8002", description="the tasks service, whose snapshot reconcile reads"
    )
    projects_url: str = Field(
        "http://127.0.0.1:8001", description="the projects service, asked who may read a project"
    )
    http_timeout_seconds: float = Field(5.0, gt=0)
    http_attempts: int = Field(3, ge=1, le=10)
    reconcile_page_size: int = Field(5_000, ge=100, le=10_000)
    counts_cache_seconds: int = Field(
        300, ge=1, description="bounds how long a count Redis missed an update of could be shown"
    )
    access_cache_seconds: int = Field(
        10, ge=0, description="how long a caller's right to read a project is remembered"
    )
