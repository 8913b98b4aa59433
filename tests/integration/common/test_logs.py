"""What the process logs of a statement the database refused: where it failed, never the
values it was given."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Literal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from taskwire.common.db import create_engine
from taskwire.common.settings import DatabaseSettings
from tests.support.logs import Configure, logging_into_strings


@pytest.fixture
def configure() -> Iterator[Configure]:
    with logging_into_strings() as configure:
        yield configure


@pytest.mark.parametrize("log_format", ["json", "text"])
async def test_a_failed_statement_is_logged_without_the_values_it_was_given(
    configure: Configure, empty_database: str, log_format: Literal["json", "text"]
) -> None:
    secret = "s3cret-user-data"
    engine = create_engine(DatabaseSettings(database_url=empty_database))
    stream = configure(log_format)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE people (email text PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO people VALUES (:e)"), {"e": secret})
        for statement, params in [
            ("SELECT CAST(CAST(:v AS text) AS uuid)", {"v": secret}),  # in the primary message
            ("INSERT INTO people VALUES (:e)", {"e": secret}),  # the value in DETAIL
            ("INSERT INTO people VALUES (:e)", {"e": f"{secret}\x00"}),  # NUL: not storable
        ]:
            try:
                async with engine.begin() as conn:
                    await conn.execute(text(statement), params)
            except DBAPIError:
                logging.getLogger("tests.logs").exception("the statement failed")
    finally:
        await engine.dispose()
    logged = stream.getvalue()
    assert logged.count("the statement failed") == 3
    assert secret not in logged
    for sqlstate in ("22P02", "23505"):
        assert f"SQLSTATE {sqlstate}" in logged
    assert "constraint_name=people_pkey" in logged
    assert "INSERT INTO people VALUES" in logged  # the statement stays: where it failed
