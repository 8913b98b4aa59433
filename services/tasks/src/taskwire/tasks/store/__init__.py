"""SQL for the tasks service's tables, one module per use case; each takes the connection.

Every read of tasks joins the replica's member rows for the assignee's and the reporter's
profiles (`viewed`), so a page of tasks is one statement however many people it shows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import FromClause, Select, and_, select

from taskwire.tasks.tables import members, projects, tasks

PROFILE_ROLES = ("assignee", "reporter")
PROFILE_COLUMNS = ("email", "display_name", "avatar_url")


def viewed(source: FromClause = tasks) -> Select[Any]:
    """Every column of `source` (tasks, or a subquery of them) with what an answer shows besides:
    the project's key as `project_key`, and each profile as `<role>_<column>` (null when the
    replica has no member row for that user: removed members keep theirs)."""
    joined = source.join(projects, projects.c.id == source.c.project_id)
    profiles = []
    for role in PROFILE_ROLES:
        person = members.alias(role)
        joined = joined.outerjoin(
            person,
            and_(
                person.c.workspace_id == source.c.workspace_id,
                person.c.user_id == source.c[f"{role}_id"],
            ),
        )
        profiles += [person.c[name].label(f"{role}_{name}") for name in PROFILE_COLUMNS]
    return select(source, projects.c.key.label("project_key"), *profiles).select_from(joined)
