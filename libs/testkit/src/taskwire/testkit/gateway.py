"""The whole system as the run command starts it, reached only through its gateway."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from taskwire.testkit.running import read_until, supervisor

SERVICES = ("projects", "tasks", "aggregator", "notifier")


@contextlib.asynccontextmanager
async def behind_gateway(env: dict[str, str]) -> AsyncIterator[str]:
    """Every service and the gateway, on `env` (from `run_environment`); yields the gateway's
    base URL once all of them are ready, and stops them afterwards."""
    async with supervisor(env) as process:
        assert process.stdout is not None
        wanted = [*(f"{name} ready at" for name in SERVICES), "gateway ready"]
        seen: list[str] = []
        await asyncio.wait_for(read_until(process.stdout, wanted, seen), 90)
        # The output must keep draining, or a chatty service blocks on a full pipe.
        drain = asyncio.create_task(_drain(process.stdout))
        try:
            yield f"http://127.0.0.1:{env['TASKWIRE_GATEWAY_PORT']}"
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)
            drain.cancel()


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


async def bare_get(url: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """GET over a connection of its own, read with nothing in between: a flood of hundreds at
    once from one test costs the test little, so what is timed is the system, not the client.
    Answers the status and the headers (names in lower case); the body is read and dropped."""
    host, _, port = url.removeprefix("http://").partition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        await reader.read()  # to the close
    finally:
        writer.close()
    fields = dict(line.split(":", 1) for line in head[1:] if ":" in line)
    return int(head[0].split()[1]), {k.strip().lower(): v.strip() for k, v in fields.items()}
