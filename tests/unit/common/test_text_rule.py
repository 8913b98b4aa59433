"""Text no database can store is refused where every request body is parsed, whatever the field."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from taskwire.common.bodies import Body, Patch, RefuseUnstorableQuery, unstorable_text
from taskwire.common.errors import PROBLEM_JSON, install_problem_handlers


class _Item(Body):
    title: str


class _Import(Body):
    name: str = ""
    items: list[_Item] = []
    labels: dict[str, str] = {}


class _Rename(Patch):
    name: str | None = None


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ('{"name": "a\\u0000b"}', "name"),
        ('{"name": "\\ud800"}', "name"),
        ('{"name": "x\\udfffy"}', "name"),
        ('{"items": [{"title": "ok"}, {"title": "\\u0000"}]}', "items.1.title"),
        ('{"labels": {"\\u0000": "key"}}', "labels.\x00"),
    ],
)
def test_nul_and_lone_surrogates_are_refused_with_their_path(document: str, where: str) -> None:
    data = json.loads(document)  # as FastAPI parses a body
    assert unstorable_text(data) == where
    with pytest.raises(ValidationError, match="NUL"):
        _Import.model_validate(data)


def test_a_partial_update_keeps_the_rule() -> None:
    with pytest.raises(ValidationError, match="unpaired surrogate"):
        _Rename.model_validate(json.loads('{"name": "\\ud83d"}'))


def test_real_pairs_and_other_controls_pass() -> None:
    data = json.loads('{"name": "\\ud83d\\ude00 tab\\t line\\n", "items": [{"title": "\\u00e9"}]}')
    assert _Import.model_validate(data).name.startswith("\U0001f600")


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(RefuseUnstorableQuery)

    @app.post("/items")
    async def create(body: _Import, q: str = "") -> dict[str, str]:
        return {"name": body.name, "q": q}

    return app


async def test_over_http_the_answer_is_a_422_problem() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        bad_body = await client.post(
            "/items", content=b'{"name": "a\\u0000"}', headers={"content-type": "application/json"}
        )
        bad_query = await client.post("/items?q=a%00b", json={"name": "fine"})
        good = await client.post("/items?q=a%20b", json={"name": "fine"})
    for response in (bad_body, bad_query):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM_JSON
        assert "NUL" in response.json()["detail"]
    assert good.json() == {"name": "fine", "q": "a b"}
