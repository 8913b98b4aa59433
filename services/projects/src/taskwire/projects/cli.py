"""`taskwire-projects migrate | serve | run`: the service's one entry point."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import asyncpg
from alembic.util import CommandError
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError

from taskwire.common.settings import load_settings
from taskwire.projects import migrate
from taskwire.projects.settings import ProjectsSettings

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="taskwire-projects", description="The Taskwire projects service."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create the database if missing, then upgrade its schema")
    commands.add_parser("serve", help="serve the HTTP API (relay and consumer run inside)")
    commands.add_parser("run", help="migrate, then serve")
    args = parser.parse_args(argv)
    settings = load_settings(ProjectsSettings)
    if args.command in ("migrate", "run"):
        run_migrations(settings)
    if args.command in ("serve", "run"):
        serve(settings)


def run_migrations(settings: ProjectsSettings) -> None:
    """Migrate with progress on stdout; on failure, exit saying what went wrong and what to do."""
    url = make_url(settings.database_url)
    shown = url.render_as_string(hide_password=True)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)
    try:
        print(f"projects: migrating {shown}", flush=True)
        created = asyncio.run(migrate.ensure_database(settings.database_url))
        print(f"  database {url.database!r} {'created' if created else 'exists'}", flush=True)
        before = asyncio.run(migrate.current_revision(settings.database_url))
        head = migrate.head_revision()
        print(f"  schema at {before or 'nothing'}; upgrading to {head}", flush=True)
        asyncio.run(migrate.upgrade(settings.database_url))
        print(f"  schema at {head}: done", flush=True)
    except Exception as exc:
        sys.exit(explain(exc, shown, url.username or "postgres", url.database or "?"))


def explain(exc: BaseException, url: str, user: str, database: str) -> str:
    """What went wrong, in a user's words, and the next thing to try."""
    cause = exc.orig.__cause__ if isinstance(exc, DBAPIError) and exc.orig else exc
    where = "set TASKWIRE_PROJECTS_DATABASE_URL to the right server"
    if isinstance(cause, OSError | TimeoutError | asyncpg.CannotConnectNowError):
        return (
            f"projects: Postgres is not reachable at {url} ({cause}).\n"
            f"  Start it (DESIGN.md section 7): {START_POSTGRES}\n  or {where}."
        )
    if isinstance(
        cause, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError
    ):
        return (
            f"projects: Postgres refused user {user!r} at {url} ({cause}).\n"
            f"  Fix the credentials: {where}."
        )
    if isinstance(cause, asyncpg.InsufficientPrivilegeError):
        return (
            f"projects: user {user!r} may not create or change database {database!r} ({cause}).\n"
            f"  Create it as a superuser (createdb -h HOST -U postgres {database}) or grant "
            f"the rights, then run `taskwire-projects migrate` again."
        )
    if isinstance(exc, CommandError):
        return (
            f"projects: the schema of {url} cannot be upgraded: {exc}.\n"
            "  It may have been migrated by a newer version of this service; run that version."
        )
    return f"projects: migrating {url} failed: {type(cause).__name__}: {cause}"


def serve(settings: ProjectsSettings) -> None:
    import uvicorn

    from taskwire.projects.app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        proxy_headers=True,
        log_level="info",
    )


if __name__ == "__main__":
    main()
