"""configure_logging into a string, as a test reads what the process logs; the loggers it touches
are put back afterwards."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from taskwire.common.logs import UVICORN_LOGGERS, configure_logging
from taskwire.common.settings import DatabaseSettings

Configure = Callable[..., io.StringIO]


@contextmanager
def logging_into_strings() -> Iterator[Configure]:
    """`configure(format, level)` configures logging into a new string and answers it."""
    touched = [logging.getLogger(name) for name in (*UVICORN_LOGGERS, "websockets")]
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    saved = [(logger.handlers[:], logger.level, logger.propagate) for logger in touched]

    def configure(
        log_format: Literal["json", "text"] = "json",
        log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO",
    ) -> io.StringIO:
        stream = io.StringIO()
        settings = DatabaseSettings(service_name="demo", log_format=log_format, log_level=log_level)
        configure_logging(settings, stream)
        return stream

    try:
        yield configure
    finally:
        root.handlers[:], root.level = saved_root
        for logger, (handlers, level, propagate) in zip(touched, saved, strict=True):
            logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate
