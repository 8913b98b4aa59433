"""What an event says changed: [old, new] of each field whose value differs, as JSON carries it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

Changes = dict[str, list[Any]]


class State(Protocol):
    """The state of an event's subject: a pydantic model."""

    def model_dump(self, *, mode: str = ..., include: set[str] | None = ...) -> dict[str, Any]: ...


def changed(before: State, after: State, fields: Iterable[str]) -> Changes:
    """[old, new] of each of `fields` that differs from `before` to `after`, in their JSON form
    (ids and times as strings), so an event carries them as any consumer reads them back."""
    names = tuple(fields)
    old = before.model_dump(mode="json", include=set(names))
    new = after.model_dump(mode="json", include=set(names))
    return {name: [old[name], new[name]] for name in names if old[name] != new[name]}
