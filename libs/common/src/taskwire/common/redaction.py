"""Tracebacks without the users' data in them.

A database error's message quotes what was sent (SQLAlchemy appends the statement's parameters;
Postgres's DETAIL and many primary messages quote the offending value), and a validation error
quotes its input. Logs are kept longer and read by more people than the data deserves, so a
logged traceback keeps where it failed and why, and none of the values.
"""

from __future__ import annotations

import traceback
from types import TracebackType
from typing import Final

from pydantic import ValidationError
from sqlalchemy.exc import StatementError

_CAUSE: Final = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT: Final = "\nDuring handling of the above exception, another exception occurred:\n\n"
# asyncpg's errors carry these; each names a part of the schema, never a value.
_SCHEMA_NAMES: Final = ("schema_name", "table_name", "column_name", "constraint_name")


def safe_traceback(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None]
    | tuple[None, None, None],
) -> str:
    """What `logging.Formatter.formatException` gives, with every message that may quote data
    replaced by what it is: its class, SQLSTATE, the schema names involved and the statement."""
    exc = exc_info[1]
    if exc is None:
        return ""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        cause = current.__cause__
        current = (
            cause
            if cause is not None
            else (None if current.__suppress_context__ else current.__context__)
        )
    # What a database driver raised beneath a failed statement (asyncpg's own ValueError when
    # it encodes a parameter, say) quotes the parameter: below the first database error in
    # the chain, only what kind of error it was is told.
    first_db = next(
        (i for i, e in enumerate(chain) if isinstance(e, StatementError) or _sqlstate(e)),
        len(chain),
    )
    said = [describe(e) if i <= first_db else _sqlstate(e) or "" for i, e in enumerate(chain)]
    parts: list[str] = []
    pairs = zip(reversed(chain), reversed(said), [*reversed(chain[:-1]), None], strict=True)
    for older, message, newer in pairs:
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(older.__traceback__))
        parts.append(f"{_qualified(older)}: {message}\n" if message else f"{_qualified(older)}\n")
        if newer is not None:
            parts.append(_CAUSE if newer.__cause__ is older else _CONTEXT)
    return "".join(parts).rstrip("\n")


def describe(exc: BaseException) -> str:
    """A message for `exc` that quotes no value it was given."""
    if isinstance(exc, StatementError):
        return f"{type(exc.orig).__name__ if exc.orig else 'statement'} [SQL: {exc.statement}]"
    if isinstance(exc, ValidationError):
        fields = ", ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['type']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        return f"{exc.error_count()} validation error(s) for {exc.title} ({fields})"
    return _sqlstate(exc) or str(exc)


def _sqlstate(exc: BaseException) -> str | None:
    """`SQLSTATE 23505 (table_name=..., constraint_name=...)` for a database's error."""
    sqlstate = getattr(exc, "sqlstate", None)
    if not isinstance(sqlstate, str):
        return None
    names = ", ".join(
        f"{name}={value}" for name in _SCHEMA_NAMES if (value := getattr(exc, name, None))
    )
    return f"SQLSTATE {sqlstate}" + (f" ({names})" if names else "")


def _qualified(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    if module in ("builtins", "__main__"):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"
