"""Print the OpenAPI documents of the projects, tasks and aggregator services as one JSON object
({"projects": {...}, "tasks": {...}, "aggregator": {...}}), built from each service's app factory
without starting it: no database, broker or Redis is reached.

Run with the repository's virtualenv (scripts/generate.ts does): .venv/bin/python openapi.py
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from typing import Any

SERVICES = ("projects", "tasks", "aggregator")


def document(service: str) -> dict[str, Any]:
    app = importlib.import_module(f"taskwire.{service}.app").create_app()
    schema: dict[str, Any] = app.openapi()
    return schema


def main() -> None:
    # Always the development documents: they need no secrets, building an app reaches nothing,
    # and they are what the drift test meets (a system run for tests is a development one, with
    # its development-only routes such as POST /api/v1/dev/tokens).
    os.environ["TASKWIRE_ENVIRONMENT"] = "development"
    logging.disable(logging.CRITICAL)
    wanted = sys.argv[1:] or list(SERVICES)
    json.dump({service: document(service) for service in wanted}, sys.stdout)


if __name__ == "__main__":
    main()
