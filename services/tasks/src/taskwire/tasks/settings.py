"""Configuration of the tasks service; per-service names take the `TASKWIRE_TASKS_` prefix."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from taskwire.common.settings import DatabaseSettings


class TasksSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="TASKWIRE_TASKS_")

    service_name: str = "tasks"
    port: int = Field(8002, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/taskwire_tasks"
    db_pool_size: int = Field(20, ge=1, le=200)
    consumer_queue: str = Field("tasks", min_length=1, max_length=200)
    projects_url: str = Field(
        "http://127.0.0.1:8001",
        description="the projects service, asked when the replica lacks what a request needs",
    )
    projects_timeout_seconds: float = Field(2.0, gt=0)
    projects_attempts: int = Field(3, ge=1, le=10)
    directory_ttl_seconds: float = Field(
        60.0,
        gt=0,
        description="safety net: cached replica entries are reloaded at least this often",
    )
    replica_repair_interval_seconds: float = Field(
        5.0,
        ge=0,
        description="one workspace's members compared with the projects service's roster this"
        " often, in turn (repairs what a lost event left behind); 0: only when asked",
    )
    directory_max_entries: int = Field(100_000, ge=100)
    idempotency_retention_seconds: int = Field(86_400, ge=60)
    bulk_max_tasks: int = Field(500, ge=1, le=5_000)
