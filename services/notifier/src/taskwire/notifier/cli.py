"""`taskwire-notifier serve | run`: the service's one entry point (it has no database, so
`run` serves at once, like `serve`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import resource
import signal

from taskwire.common.logs import configure_logging
from taskwire.common.settings import load_settings
from taskwire.notifier.app import Notifier
from taskwire.notifier.settings import NotifierSettings

log = logging.getLogger(__name__)


async def serve(settings: NotifierSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    notifier = Notifier(settings)
    gc.freeze()  # the import-time heap stays for the process's life (see service_cli.serve)
    async with notifier.running():
        log.info("serving ws://%s:%s/ws", settings.host, settings.port)
        await stop.wait()
    log.info("stopped")


def _allow_many_sockets() -> None:
    """Each connection is a file descriptor: raise the soft limit (often 1,024) to the hard."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="taskwire-notifier", description="The Taskwire notifier: the WebSocket feed."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve /ws with the consumer and the fan-out")
    commands.add_parser("run", help="the same as serve (the notifier has no migrations)")
    parser.parse_args(argv)
    settings = load_settings(NotifierSettings)
    _allow_many_sockets()
    configure_logging(settings)
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
