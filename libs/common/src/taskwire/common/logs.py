"""The process's logs: one JSON object a line for machines, or plain text for a person.

Each line names the service and, when it was written inside a span, the trace and span it
belongs to, so a log line leads to its trace and back. uvicorn's loggers write through the same
handler (run it with `log_config=None`), so its lines have the same shape as ours.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

from opentelemetry import trace
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

from taskwire.common.redaction import safe_traceback
from taskwire.common.settings import ServiceSettings

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# websockets logs a line per connection opened and closed at INFO.
_QUIET = {"websockets": logging.WARNING}
# uvicorn repeats some messages with terminal colours in `color_message`: never worth showing.
_HIDDEN = (*RESERVED_ATTRS, "taskName", "color_message")
_NOT_EXTRA = frozenset((*_HIDDEN, "message", "trace_id", "span_id"))


class TraceContext(logging.Filter):
    """Adds `trace_id` and `span_id` (lowercase hex) to a record written inside a valid span."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = trace.format_trace_id(context.trace_id)
            record.span_id = trace.format_span_id(context.span_id)
        return True


class JsonLines(OrjsonFormatter):
    """time, level, logger, message, service, then the record's `extra` fields, the trace and
    span ids and any exception, as one JSON object (serialised by orjson)."""

    def __init__(self, service: str) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={
                "levelname": "level",
                "name": "logger",
                "exc_info": "exception",
                "stack_info": "stack",
            },
            static_fields={"service": service},
            reserved_attrs=_HIDDEN,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = _utc_iso(record)  # first, where a reader looks for it
        super().add_fields(log_data, record, message_dict)

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return safe_traceback(ei)


class TextLines(logging.Formatter):
    """`LEVEL logger: message key=value ... [trace=<trace id>]`, then any traceback."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        parts = [super().formatMessage(record)]
        parts += (
            f"{key}={value!r}"
            for key, value in record.__dict__.items()
            if key not in _NOT_EXTRA and not key.startswith("_")
        )
        trace_id = getattr(record, "trace_id", None)
        if trace_id:
            parts.append(f"[trace={trace_id}]")
        return " ".join(parts)

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return safe_traceback(ei)


def configure_logging(settings: ServiceSettings, stream: TextIO | None = None) -> None:
    """Make the root logger the process's one way out, in `settings.log_format` at
    `settings.log_level`, to `stream` (standard error by default: standard output stays a
    command's own). Replaces whatever handlers the root logger had, so calling it again
    reconfigures rather than duplicating lines.

    uvicorn's loggers lose any handlers of their own and pass their records up to the root.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter = JsonLines(settings.service_name) if settings.log_format == "json" else TextLines()
    handler.setFormatter(formatter)
    handler.addFilter(TraceContext())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    for name, level in _QUIET.items():
        logging.getLogger(name).setLevel(level)


def _utc_iso(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"
