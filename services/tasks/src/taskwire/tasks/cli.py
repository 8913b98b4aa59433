"""`taskwire-tasks migrate | serve | run`: the service's one entry point."""

from __future__ import annotations

from taskwire.common.service_cli import run_cli
from taskwire.tasks.migrate import MIGRATIONS
from taskwire.tasks.settings import TasksSettings


def main(argv: list[str] | None = None) -> None:
    from taskwire.tasks.app import create_app

    run_cli("tasks", TasksSettings, MIGRATIONS, create_app, argv)


if __name__ == "__main__":
    main()
