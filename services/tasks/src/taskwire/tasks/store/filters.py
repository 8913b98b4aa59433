"""What a list of tasks keeps: by status, category, assignee, priority, archived or not, and
words in the title. A statement is built once per filter `Shape` (which terms its WHERE has) and
executed with each request's values (`Filters.params`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, bindparam

from taskwire.common.events.projects import Category
from taskwire.common.events.tasks import Priority
from taskwire.tasks.replica.directory import StatusView
from taskwire.tasks.store.keyset import Cursor
from taskwire.tasks.tables import tasks


@dataclass(frozen=True, slots=True)
class Filters:
    status_id: UUID | None = None
    category: Category | None = None
    assignee_id: UUID | None = None
    priority: Priority | None = None
    archived: bool | None = False  # None: archived or not
    q: str | None = None  # in the title, case-insensitive

    def shape(self, *, by_lane: bool) -> Shape:
        """Which terms the WHERE has (`by_lane` leaves out those the choice of board lanes
        applies): what a statement is built from, its values bound by name (`params`)."""
        return (
            self.status_id is not None and not by_lane,
            self.category is not None and not by_lane,
            self.assignee_id is not None,
            self.priority is not None,
            self.archived,
            bool(self.q),
        )

    def params(self) -> dict[str, Any]:
        pattern = None
        if self.q:
            escaped = self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
        values = {
            "status_id": self.status_id,
            "category": self.category.value if self.category else None,
            "assignee_id": self.assignee_id,
            "priority": self.priority.value if self.priority else None,
            "q": pattern,
        }
        return {f"filter_{name}": value for name, value in values.items() if value is not None}

    def lanes(self, statuses: Sequence[StatusView], after: Cursor | None) -> list[StatusView]:
        """The statuses a board page walks, in board order, from the cursor's one on."""
        return [
            s
            for s in statuses
            if (self.status_id is None or s.id == self.status_id)
            and (self.category is None or s.category is self.category)
            and (after is None or s.id == after.status_id or (s.position, s.id) > _lane(after))
        ]


# status_id, category, assignee_id, priority (each: in the WHERE or not), archived, q.
Shape = tuple[bool, bool, bool, bool, bool | None, bool]


def conditions(shape: Shape) -> list[ColumnElement[bool]]:
    """The WHERE terms of a filter shape, their values bound by name (`Filters.params`)."""
    status_id, category, assignee_id, priority, archived, q = shape
    c = tasks.c
    found: list[ColumnElement[bool]] = [c.deleted.is_(False)]  # the indexes' predicate
    if status_id:
        found.append(c.status_id == bindparam("filter_status_id"))
    if category:
        found.append(c.category == bindparam("filter_category"))
    if assignee_id:
        found.append(c.assignee_id == bindparam("filter_assignee_id"))
    if priority:
        found.append(c.priority == bindparam("filter_priority"))
    if archived is not None:
        found.append(c.archived_at.isnot(None) if archived else c.archived_at.is_(None))
    if q:
        found.append(c.title.ilike(bindparam("filter_q"), escape="\\"))
    return found


def _lane(after: Cursor) -> tuple[int, UUID]:
    assert after.lane is not None
    assert after.status_id is not None
    return after.lane, after.status_id
