"""Request bodies: unknown fields are refused (a typo answers 422, not silence), text that no
database can store is refused, and partial updates say which fields were given and refuse a null
where the field cannot be cleared."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Final

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError
from starlette.types import ASGIApp, Receive, Scope, Send

from taskwire.common.errors import problem_response

# NUL ends a C string: Postgres refuses it in text, so it would fail as a 500 deep in a write.
# A surrogate left alone in a str (JSON's "\ud800" with no partner: json.loads joins real
# pairs into one character) has no UTF-8 encoding at all.
_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_TEXT: Final = (
    "text may not contain NUL (U+0000) or an unpaired surrogate (U+D800-U+DFFF)"
)


def unstorable_text(value: object, path: str = "") -> str | None:
    """The path (`tasks.0.title`) of the first string in `value`, a parsed JSON document, that
    holds a character no text column can store; None when every string is storable. Keys count."""
    if isinstance(value, str):
        return path if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _UNSTORABLE.search(key):
                return where
            found = unstorable_text(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_text(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


class Body(BaseModel):
    """Every request body: the one place the text rule is kept, so no field can forget it."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_unstorable_text(cls, data: Any) -> Any:
        where = unstorable_text(data)
        if where is not None:
            raise PydanticCustomError(
                "unstorable_text", "{where}: {rule}", {"where": where, "rule": UNSTORABLE_TEXT}
            )
        return data


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


class RefuseUnstorableQuery:
    """The same rule for the query string: `%00` is the only way a query (percent-decoded as
    UTF-8, invalid bytes replaced) can carry a character no text column stores."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"%00" in scope["query_string"]:
            response = problem_response(
                422,
                "validation",
                "Request validation failed",
                f"query: {UNSTORABLE_TEXT}",
                scope["path"],
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
