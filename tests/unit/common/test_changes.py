"""The [old, new] of each changed field an event carries, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from pydantic import BaseModel

from taskwire.common.events.changes import changed
from taskwire.common.events.projects import Role


class Thing(BaseModel):
    name: str
    role: Role
    owner: UUID | None = None
    due: datetime | None = None
    rank: Decimal = Decimal(1)


def test_only_fields_that_differ_and_only_those_asked() -> None:
    before = Thing(name="a", role=Role.MEMBER)
    after = before.model_copy(update={"name": "b", "role": Role.MEMBER, "rank": Decimal(2)})
    assert changed(before, after, ("name", "role")) == {"name": ["a", "b"]}
    assert changed(before, after, ["rank"]) == {"rank": ["1", "2"]}
    assert changed(before, before, ("name", "role", "due")) == {}


def test_values_are_in_their_json_form() -> None:
    owner, due = uuid4(), datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    before = Thing(name="a", role=Role.VIEWER)
    after = before.model_copy(update={"role": Role.ADMIN, "owner": owner, "due": due})
    assert changed(before, after, iter(("role", "owner", "due"))) == {
        "role": ["viewer", "admin"],
        "owner": [None, str(owner)],
        "due": [None, "2030-01-02T03:04:05Z"],
    }
    assert changed(after, before, ("due",)) == {"due": ["2030-01-02T03:04:05Z", None]}
