"""Contracts of the aggregator's events: project.progress_changed, project.derived_status_changed.

Both are about a project (subject kind "project") and carry `counts_version`, the aggregator's
own version of that project's counts, which grows with every batch that changes them. It is the
subject's version too: a consumer keeps counts and derived status by it, apart from the
project's own version (the aggregator never changes the project itself).
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from taskwire.common.events.projects import Category, Counts


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Progress(_State):
    """project.progress_changed: the counts after a batch, and the status derived from them."""

    counts: Counts
    derived_status: Category
    counts_version: int = Field(ge=1)


class DerivedStatusChange(_State):
    """project.derived_status_changed: the derived status moved from `old` to `new`."""

    old: Category
    new: Category
    counts_version: int = Field(ge=1)


PROGRESS_CHANGED: Final = "project.progress_changed"
DERIVED_STATUS_CHANGED: Final = "project.derived_status_changed"

PRODUCER: Final = "aggregator"

CATALOGUE: Final[dict[str, type[BaseModel]]] = {
    PROGRESS_CHANGED: Progress,
    DERIVED_STATUS_CHANGED: DerivedStatusChange,
}
