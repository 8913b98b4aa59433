"""Configuration of the projects service; per-service names take the `TASKWIRE_PROJECTS_` prefix."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from taskwire.common.settings import DatabaseSettings


class ProjectsSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="TASKWIRE_PROJECTS_")

    service_name: str = "projects"
    port: int = Field(8001, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/taskwire_projects"
    consumer_queue: str = Field("projects", min_length=1, max_length=200)
    # Counts, derived statuses and auto-restores are not on the path of a task's frame to a
    # board: under a steady flow the events of each interval share one transaction instead of
    # one each; after a quiet spell an event is applied at once.
    consumer_linger_ms: float = Field(200.0, ge=0, le=1_000)
