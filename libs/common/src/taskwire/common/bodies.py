"""Request bodies: unknown fields are refused (a typo answers 422, not silence), and partial
updates say which fields were given and refuse a null where the field cannot be cleared."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Patch(Body):
    """A partial update: absent fields stay as they are; null is refused unless listed."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _refuse_nulls(self) -> Patch:
        for name in self.model_fields_set - self.nullable:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def updates(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}
