"""`taskwire-aggregator migrate | serve | run | reconcile`: the service's one entry point."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from uuid import UUID

from taskwire.aggregator.migrate import MIGRATIONS
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.common.service_cli import Command, run_cli


def _reconcile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=UUID, help="one project's id (default: every project)")


def _reconcile(settings: AggregatorSettings, args: argparse.Namespace) -> int:
    from taskwire.aggregator.reconcile_cli import run_reconcile

    drift = asyncio.run(run_reconcile(settings, args.project))
    print(json.dumps(drift.as_dict(), indent=2))
    return 0


def main(argv: list[str] | None = None) -> None:
    from taskwire.aggregator.app import create_app

    reconcile = Command[AggregatorSettings](
        help="recount from the tasks service, repair any drift, and report it",
        arguments=_reconcile_arguments,
        run=_reconcile,
    )
    run_cli(
        "aggregator",
        AggregatorSettings,
        MIGRATIONS,
        create_app,
        argv,
        commands={"reconcile": reconcile},
    )


if __name__ == "__main__":
    main(sys.argv[1:])
