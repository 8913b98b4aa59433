"""The projects service's rules, free of I/O: roles, owners, keys, slugs, the status board, and
what a batch of consumed events changes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol, Self, TypeVar
from uuid import UUID

from taskwire.common.events.changes import Changes, State, changed
from taskwire.common.events.projects import (
    Category,
    Counts,
    ProjectState,
    Role,
    StatusDeletedState,
    StatusState,
)
from taskwire.common.problems import Conflict, Forbidden, Unprocessable

KEY_PATTERN: Final = r"^[A-Z][A-Z0-9]{1,9}$"
SLUG_PATTERN: Final = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MAX: Final = 60
MAX_STATUSES: Final = 50

DEFAULT_STATUSES: Final = (
    ("Todo", Category.TODO),
    ("In Progress", Category.IN_PROGRESS),
    ("In Review", Category.IN_REVIEW),
    ("Issue", Category.ISSUE),
    ("Done", Category.DONE),
)


class Versioned(State, Protocol):
    """An entity state that carries its version (every change adds one)."""

    @property
    def version(self) -> int: ...

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Self: ...


StateT = TypeVar("StateT", bound=Versioned)


def require_role(role: Role, minimum: Role, action: str) -> None:
    if not role.at_least(minimum):
        raise Forbidden(f"{action} needs the {minimum} role or higher; you are {role}")


def check_owner_grant(caller: Role, old: Role | None, new: Role | None) -> None:
    """Only an owner may make someone an owner or take the owner role away."""
    if Role.OWNER in (old, new) and old != new and caller != Role.OWNER:
        raise Forbidden("only an owner may grant or take away the owner role")


def check_keeps_an_owner(old: Role, new: Role | None, owners: int) -> None:
    """A workspace always keeps at least one owner (`new` None means the member leaves)."""
    if old == Role.OWNER and new != Role.OWNER and owners <= 1:
        raise Conflict("the last owner cannot leave or be demoted; make someone else owner first")


def check_removal(caller: Role, caller_id: UUID, target_id: UUID) -> None:
    if caller_id != target_id:
        require_role(caller, Role.ADMIN, "removing another member")


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "workspace"


def with_suffix(slug: str, suffix: str) -> str:
    return f"{slug[: SLUG_MAX - len(suffix) - 1].rstrip('-')}-{suffix}"


def bump(state: StateT, updates: dict[str, Any], **extra: Any) -> StateT:
    return state.model_copy(update={**updates, **extra, "version": state.version + 1})


def revise(state: StateT, updates: dict[str, Any], **extra: Any) -> tuple[StateT, Changes]:
    """Apply `updates`: a real change gets the next version (and `extra`); none keeps `state`."""
    changes = changed(state, state.model_copy(update=updates), updates)
    if not changes:
        return state, changes
    return bump(state, {field: updates[field] for field in changes}, **extra), changes


def default_statuses(
    project_id: UUID, workspace_id: UUID, ids: Sequence[UUID]
) -> list[StatusState]:
    return [
        StatusState(
            id=status_id,
            project_id=project_id,
            workspace_id=workspace_id,
            name=name,
            category=category,
            position=position,
            version=1,
        )
        for position, ((name, category), status_id) in enumerate(
            zip(DEFAULT_STATUSES, ids, strict=True)
        )
    ]


def _renumber(order: Sequence[StatusState]) -> list[StatusState]:
    """Positions 0..n-1 in this order; each status whose position moves gets a new version."""
    return [
        status
        if status.position == index
        else status.model_copy(update={"position": index, "version": status.version + 1})
        for index, status in enumerate(order)
    ]


def _clamp(position: int | None, size: int) -> int:
    return size if position is None else max(0, min(position, size))


def add_status(
    board: Sequence[StatusState], new: StatusState, position: int | None
) -> list[StatusState]:
    """The board with `new` placed at `position` (appended when None); returns what changed."""
    if len(board) >= MAX_STATUSES:
        raise Conflict(f"a project has at most {MAX_STATUSES} statuses")
    order = list(board)
    at = _clamp(position, len(order))
    order.insert(at, new.model_copy(update={"position": at}))
    return _changes(board, _renumber(order))


def edit_status(
    board: Sequence[StatusState], status_id: UUID, updates: dict[str, Any], position: int | None
) -> list[StatusState]:
    """Rename, recategorise and/or move one status; returns every status that changed."""
    target = next(s for s in board if s.id == status_id)
    fields = {k: v for k, v in updates.items() if getattr(target, k) != v}
    edited = target.model_copy(update=fields)
    order = [s for s in board if s.id != status_id]
    order.insert(_clamp(target.position if position is None else position, len(order)), edited)
    after = _renumber(order)
    if fields:
        after = [
            s.model_copy(update={"version": target.version + 1}) if s.id == status_id else s
            for s in after
        ]
    return _changes(board, after)


def remove_status(
    board: Sequence[StatusState], status_id: UUID, move_to: UUID
) -> tuple[StatusDeletedState, list[StatusState]]:
    """Delete one status, its tasks going to `move_to`; returns it and the statuses shifted up."""
    target = next(s for s in board if s.id == status_id)
    if len(board) <= 1:
        raise Conflict("a project keeps at least one status")
    if move_to == status_id or all(s.id != move_to for s in board):
        raise Unprocessable("move_to must be another live status of the same project")
    deleted = StatusDeletedState(
        **target.model_dump(exclude={"deleted", "version"}),
        deleted=True,
        version=target.version + 1,
        move_to=move_to,
    )
    rest = [s for s in board if s.id != status_id]
    return deleted, _changes(rest, _renumber(rest))


def _changes(before: Sequence[StatusState], after: Sequence[StatusState]) -> list[StatusState]:
    old = {s.id: s for s in before}
    return [s for s in after if old.get(s.id) != s]


@dataclass(frozen=True, slots=True)
class Progressed:
    """The aggregator's word on a project at `counts_version`: its derived status, and its counts
    (None for a project.derived_status_changed, which carries none)."""

    project_id: UUID
    counts_version: int
    derived_status: Category
    counts: Counts | None = None


@dataclass(frozen=True, slots=True)
class TaskTouched:
    """A task created or restored in a project: when, and by whom."""

    project_id: UUID
    occurred_at: datetime
    actor_id: UUID | None


@dataclass(slots=True)
class NewestProgress:
    """Per project, the newest counts and the newest derived status of a batch, each with its
    version. Each has its own version, so a derived_status_changed never hides the counts of a
    progress_changed of the same version."""

    counts: dict[UUID, tuple[int, Counts]] = field(default_factory=dict)
    derived: dict[UUID, tuple[int, Category]] = field(default_factory=dict)


def newest_progress(events: Iterable[Progressed]) -> NewestProgress:
    """What a batch of progress can change: storing is version-guarded, so only the newest of
    each project can; of two of the same version the first stays, as one by one it would."""
    newest = NewestProgress()
    for event in events:
        version, project = event.counts_version, event.project_id
        if event.counts is not None and version > newest.counts.get(project, (0, None))[0]:
            newest.counts[project] = (version, event.counts)
        if version > newest.derived.get(project, (0, None))[0]:
            newest.derived[project] = (version, event.derived_status)
    return newest


def revived_by(project: ProjectState, touches: Iterable[TaskTouched]) -> TaskTouched | None:
    """The first task change (in arrival order) that restores an archived project: only one
    after the archive does, so a late or redelivered task event never undoes a later archive."""
    archived_at = project.archived_at
    if archived_at is None:
        return None
    return next((t for t in touches if t.occurred_at > archived_at), None)
