"""`taskwire-projects migrate | serve | run`: the service's one entry point."""

from __future__ import annotations

from taskwire.common.service_cli import run_cli
from taskwire.projects.app import create_app
from taskwire.projects.migrate import MIGRATIONS
from taskwire.projects.settings import ProjectsSettings


def main(argv: list[str] | None = None) -> None:
    run_cli("projects", ProjectsSettings, MIGRATIONS, create_app, argv)


if __name__ == "__main__":
    main()
