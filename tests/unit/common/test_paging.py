"""Pages and their cursors, without I/O: the cap, the split, and the base64url codec."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from taskwire.common.errors import BadRequest
from taskwire.common.paging import (
    INVALID_CURSOR,
    MAX_LIMIT,
    Page,
    decode_cursor,
    encode_cursor,
)


def by_id(raw: bytes) -> UUID:
    return UUID(bytes=raw)


class Position(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID
    lane: int


def test_a_limit_above_the_maximum_is_capped() -> None:
    assert Page(10_000, None).limit == MAX_LIMIT
    assert Page(7, None).limit == 7


def test_a_page_splits_off_the_extra_row_and_names_the_last_item() -> None:
    page: Page[int] = Page(3, None)
    assert page.split([1, 2, 3, 4], lambda n: n * 10) == ([1, 2, 3], 30)
    assert page.split([1, 2, 3], lambda n: n * 10) == ([1, 2, 3], None), "no extra row: the last"
    assert page.split([], lambda n: n) == ([], None)


@given(st.binary(max_size=300))
def test_any_position_round_trips_in_url_safe_characters(position: bytes) -> None:
    cursor = encode_cursor(position)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")
    assert decode_cursor(cursor, bytes) == position
    assert decode_cursor(cursor.rstrip("="), bytes) == position, "padding may be left off"


def test_an_id_and_a_keyset_model_travel_the_same_way() -> None:
    last = uuid4()
    assert decode_cursor(encode_cursor(last.bytes), by_id) == last
    position = Position(id=last, lane=2)
    cursor = encode_cursor(position.model_dump_json().encode())
    assert json.loads(base64.urlsafe_b64decode(cursor)) == {"id": str(last), "lane": 2}
    assert decode_cursor(cursor, Position.model_validate_json) == position


@pytest.mark.parametrize(
    ("cursor", "load"),
    [
        ("not*a*cursor", by_id),  # not base64url
        ("AAAA", by_id),  # three bytes are no id
        ("é", by_id),  # not ASCII
        (encode_cursor(b"[1, 2]"), Position.model_validate_json),  # JSON, but not a position
        (encode_cursor(b"\xff\xfe"), Position.model_validate_json),  # not even text
        (encode_cursor(b'{"id": "x", "lane": 1}'), Position.model_validate_json),
    ],
)
def test_anything_else_answers_400_with_one_text(
    cursor: str, load: Callable[[bytes], object]
) -> None:
    with pytest.raises(BadRequest) as raised:
        decode_cursor(cursor, load)
    assert raised.value.detail == INVALID_CURSOR
