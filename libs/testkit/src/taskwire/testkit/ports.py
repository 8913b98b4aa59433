"""Local TCP ports: one nobody listens on, for a service a test starts as a process; whether
anything listens on one."""

from __future__ import annotations

import asyncio
import socket


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def listening(port: int) -> bool:
    """Something on 127.0.0.1 accepts a connection on `port`."""
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True
