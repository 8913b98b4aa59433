"""`taskwire-<service> migrate | serve | run`: every service's one entry point.

A service's `cli.main` names itself, its settings, its migrations and its app builder, and
hands over to `run_cli`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import asyncpg
import uvicorn
from alembic.util import CommandError
from fastapi import FastAPI
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError

from taskwire.common.logs import configure_logging
from taskwire.common.migrate import Migrations, ensure_database
from taskwire.common.settings import DatabaseSettings, ServiceSettings, load_settings

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


# The services this command line runs own a database: `migrate` needs its URL.
SettingsT = TypeVar("SettingsT", bound=DatabaseSettings)


@dataclass(frozen=True)
class Command(Generic[SettingsT]):
    """A service's own command besides migrate, serve and run."""

    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[SettingsT, argparse.Namespace], int]


def run_cli(
    service: str,
    settings_type: type[SettingsT],
    migrations: Migrations,
    create_app: Callable[[SettingsT], FastAPI],
    argv: list[str] | None = None,
    commands: dict[str, Command[SettingsT]] | None = None,
) -> None:
    parser = argparse.ArgumentParser(
        prog=f"taskwire-{service}", description=f"The Taskwire {service} service."
    )
    subcommands = parser.add_subparsers(dest="command", required=True)
    subcommands.add_parser(
        "migrate", help="create the database if missing, then upgrade its schema"
    )
    subcommands.add_parser("serve", help="serve the HTTP API (relay and consumer run inside)")
    subcommands.add_parser("run", help="migrate, then serve")
    for name, command in (commands or {}).items():
        command.arguments(subcommands.add_parser(name, help=command.help))
    args = parser.parse_args(argv)
    settings = load_settings(settings_type)
    if commands and args.command in commands:
        sys.exit(commands[args.command].run(settings, args))
    if args.command == "migrate":
        # A one-shot command for a person at a terminal: alembic's steps as bare lines.
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
    else:
        configure_logging(settings)  # a server's logs, migrating included, in its log format
    if args.command in ("migrate", "run"):
        run_migrations(service, migrations, settings.database_url)
    if args.command in ("serve", "run"):
        serve(create_app(settings), settings)


def run_migrations(service: str, migrations: Migrations, database_url: str) -> None:
    """Migrate with progress on stdout; on failure, exit saying what went wrong and what to do."""
    url = make_url(database_url)
    shown = url.render_as_string(hide_password=True)
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)
    try:
        print(f"{service}: migrating {shown}", flush=True)
        created = asyncio.run(ensure_database(database_url))
        print(f"  database {url.database!r} {'created' if created else 'exists'}", flush=True)
        before = asyncio.run(migrations.current_revision(database_url))
        head = migrations.head_revision()
        print(f"  schema at {before or 'nothing'}; upgrading to {head}", flush=True)
        asyncio.run(migrations.upgrade(database_url))
        print(f"  schema at {head}: done", flush=True)
    except Exception as exc:
        user, database = url.username or "postgres", url.database or "?"
        sys.exit(explain(service, exc, shown, user, database))


def explain(service: str, exc: BaseException, url: str, user: str, database: str) -> str:
    """What went wrong, in a user's words, and the next thing to try."""
    cause = exc.orig.__cause__ if isinstance(exc, DBAPIError) and exc.orig else exc
    where = f"set TASKWIRE_{service.upper()}_DATABASE_URL to the right server"
    if isinstance(cause, OSError | TimeoutError | asyncpg.CannotConnectNowError):
        return (
            f"{service}: Postgres is not reachable at {url} ({cause}).\n"
            f"  Start it (or run scripts/services.sh): {START_POSTGRES}\n  or {where}."
        )
    if isinstance(
        cause, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError
    ):
        return (
            f"{service}: Postgres refused user {user!r} at {url} ({cause}).\n"
            f"  Fix the credentials: {where}."
        )
    if isinstance(cause, asyncpg.InsufficientPrivilegeError):
        return (
            f"{service}: user {user!r} may not create or change database {database!r} ({cause}).\n"
            f"  Create it as a superuser (createdb -h HOST -U postgres {database}) or grant "
            f"the rights, then run `taskwire-{service} migrate` again."
        )
    if isinstance(exc, CommandError):
        return (
            f"{service}: the schema of {url} cannot be upgraded: {exc}.\n"
            "  It may have been migrated by a newer version of this service; run that version."
        )
    return f"{service}: migrating {url} failed: {type(cause).__name__}: {cause}"


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    # What the imports and the app built stays for the process's life: moved out of the
    # collector's generations, it is no longer traversed by every full collection (tens of
    # milliseconds each, every few thousand events under load).
    gc.freeze()
    # No log_config and no log_level: uvicorn leaves logging as configure_logging set it, and
    # its loggers write through the root's handler at the root's level.
    # Idle keep-alive connections outlive the gateway's own idle timeout (30 s), so the gateway
    # is always the one to close them: never a request sent down a connection being closed.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        proxy_headers=True,
        log_config=None,
        timeout_keep_alive=65,
    )
