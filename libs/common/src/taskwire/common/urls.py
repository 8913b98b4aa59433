"""Web addresses a client gives (an avatar): `http://` or `https://` only.

Browsers follow what the API hands them, so a `javascript:` or `data:` address would run or
show whatever its author chose. The text is kept as the client sent it, not normalised, so a
client reads back what it wrote.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, AnyHttpUrl, Field, TypeAdapter, ValidationError

MAX_LENGTH = 2_000

_HTTP_URL = TypeAdapter(AnyHttpUrl)


def is_web_url(value: str) -> bool:
    if len(value) > MAX_LENGTH:
        return False
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError:
        return False
    return True


def _web_url(value: str) -> str:
    if not is_web_url(value):
        raise ValueError("must be an http:// or https:// URL")
    return value


WebUrl = Annotated[
    str,
    Field(max_length=MAX_LENGTH, json_schema_extra={"format": "uri"}),
    AfterValidator(_web_url),
]
