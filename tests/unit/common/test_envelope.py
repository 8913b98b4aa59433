"""The event envelope on the wire: round trip, tolerant reader, refused schemas and garbage."""

from __future__ import annotations

from uuid import uuid4

import orjson
import pytest

from taskwire.common.events import EventDecodeError, decode, encode
from taskwire.common.events.envelope import SCHEMA_VERSION
from tests.support.outbox_db import ItemState, item_event


def test_round_trip_keeps_every_field() -> None:
    event = item_event("item.created", uuid4(), 3, "first")
    wire = orjson.loads(encode(event))
    assert wire["schema"] == SCHEMA_VERSION
    assert "schema_version" not in wire
    assert wire["id"] == str(event.id)
    assert wire["subject"] == {"kind": "item", "id": str(event.subject.id), "version": 3}
    assert wire["occurred_at"].endswith("Z")
    back = decode(encode(event))
    assert back == event
    assert back.data_as(ItemState) == ItemState(name="first")


def test_the_client_mutation_id_travels_and_is_null_without_one() -> None:
    event = item_event("item.created", uuid4(), 1, "x")
    assert orjson.loads(encode(event))["client_mutation_id"] is None
    named = event.model_copy(update={"client_mutation_id": "tab-1:42"})
    assert decode(encode(named)).client_mutation_id == "tab-1:42"
    older = orjson.loads(encode(event))  # from a producer that predates the field
    del older["client_mutation_id"]
    assert decode(orjson.dumps(older)).client_mutation_id is None


def test_unknown_fields_are_ignored() -> None:
    wire = orjson.loads(encode(item_event("item.created", uuid4(), 1, "x")))
    wire["added_in_a_later_minor_version"] = {"a": 1}
    wire["subject"]["tenant"] = "t1"
    wire["data"]["colour"] = "blue"
    event = decode(orjson.dumps(wire))
    assert event.type == "item.created"
    assert event.data_as(ItemState).name == "x"


def test_a_future_schema_is_refused() -> None:
    wire = orjson.loads(encode(item_event("item.created", uuid4(), 1, "x")))
    wire["schema"] = SCHEMA_VERSION + 1
    with pytest.raises(EventDecodeError, match="unsupported schema"):
        decode(orjson.dumps(wire))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe\x00",
        b"[]",
        b"null",
        b'{"type": "item.created"}',
        b'{"id": "nope", "type": "t", "occurred_at": "2026-01-01T00:00:00Z", "producer": "p",'
        b' "subject": {"kind": "k", "id": "nope", "version": 1}, "data": {}}',
    ],
)
def test_garbage_is_refused(body: bytes) -> None:
    with pytest.raises(EventDecodeError):
        decode(body)
