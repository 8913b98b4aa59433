"""A task row as the state every event and answer carries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from taskwire.common.events.tasks import TaskState
from taskwire.tasks.domain import format_rank
from taskwire.tasks.tables import tasks

COLUMNS = tuple(column.name for column in tasks.columns)


def task_state(row: Row[Any]) -> TaskState:
    """From a row holding (at least) every column of `tasks` under its own name."""
    values = {name: getattr(row, name) for name in COLUMNS}
    position: Decimal = values["position"]
    values["position"] = format_rank(position)
    return TaskState.model_validate(values)
