"""The process's logs: JSON lines (or text) naming the service and the trace they belong to."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime

import pytest
from opentelemetry import trace
from pydantic import BaseModel, ValidationError

from tests.support.logs import Configure, logging_into_strings

TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
SPAN_ID = 0x00F067AA0BA902B7
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def configure() -> Iterator[Configure]:
    with logging_into_strings() as configure:
        yield configure


def inside_a_span() -> AbstractContextManager[trace.Span]:
    context = trace.SpanContext(
        TRACE_ID, SPAN_ID, is_remote=False, trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED)
    )
    return trace.use_span(trace.NonRecordingSpan(context))


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_a_json_line_names_the_service_and_the_trace(configure: Configure) -> None:
    stream = configure()
    with inside_a_span():
        logging.getLogger("tests.logs").info("moved %s", "t1", extra={"project_id": "p1"})
    [line] = lines(stream)
    entry = json.loads(line)
    assert list(entry)[:5] == ["time", "level", "logger", "message", "service"]
    assert ISO_UTC.fullmatch(entry["time"]), entry["time"]
    assert abs(datetime.fromisoformat(entry["time"]).timestamp() - time.time()) < 60
    assert entry | {"time": None} == {
        "time": None,
        "level": "INFO",
        "logger": "tests.logs",
        "message": "moved t1",
        "service": "demo",
        "project_id": "p1",
        "trace_id": f"{TRACE_ID:032x}",
        "span_id": f"{SPAN_ID:016x}",
    }


def test_outside_a_span_there_is_no_trace(configure: Configure) -> None:
    stream = configure()
    logging.getLogger("tests.logs").warning("no request here")
    [line] = lines(stream)
    entry = json.loads(line)
    assert entry["message"] == "no request here"
    assert "trace_id" not in entry
    assert "span_id" not in entry


def test_an_exception_is_a_field_of_its_line(configure: Configure) -> None:
    stream = configure()
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("tests.logs").exception("failed")
    [line] = lines(stream)
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["message"] == "failed"
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("ValueError: boom")


def test_text_lines_are_for_a_person(configure: Configure) -> None:
    stream = configure("text")
    log = logging.getLogger("tests.logs")
    with inside_a_span():
        log.warning("slow query", extra={"duration_ms": 12.5})
    log.info("plain")
    assert lines(stream) == [
        f"WARNING tests.logs: slow query duration_ms=12.5 [trace={TRACE_ID:032x}]",
        "INFO tests.logs: plain",
    ]


def test_the_level_comes_from_the_settings(configure: Configure) -> None:
    stream = configure(log_level="WARNING")
    log = logging.getLogger("tests.logs")
    log.info("hidden")
    log.warning("shown")
    assert [json.loads(line)["message"] for line in lines(stream)] == ["shown"]


def test_uvicorn_writes_through_the_same_handler(configure: Configure) -> None:
    own = logging.StreamHandler(io.StringIO())
    error_log = logging.getLogger("uvicorn.error")
    error_log.addHandler(own)  # as uvicorn's own logging config would have left it
    error_log.propagate = False
    stream = configure()
    error_log.info("Uvicorn running on %s", "http://x", extra={"color_message": "\x1b[1m..."})
    logging.getLogger("uvicorn.access").info('%s - "%s"', "127.0.0.1", "GET /readyz")
    logging.getLogger("websockets.server").info("connection open")
    entries = [json.loads(line) for line in lines(stream)]
    assert [(e["logger"], e["message"]) for e in entries] == [
        ("uvicorn.error", "Uvicorn running on http://x"),
        ("uvicorn.access", '127.0.0.1 - "GET /readyz"'),
    ]
    assert "color_message" not in entries[0]


def test_configuring_again_replaces_rather_than_duplicates(configure: Configure) -> None:
    first = configure()
    second = configure("text")
    logging.getLogger("tests.logs").warning("once")
    assert lines(first) == []
    assert lines(second) == ["WARNING tests.logs: once"]


def test_a_validation_error_is_logged_without_its_input(configure: Configure) -> None:
    class Card(BaseModel):
        due: int

    stream = configure("text")
    sent = {"due": "s3cret-user-data"}
    try:
        Card.model_validate(sent)
    except ValidationError:
        logging.getLogger("tests.logs").exception("bad card")
    logged = stream.getvalue()
    assert "due: int_parsing" in logged
    assert "s3cret" not in logged
