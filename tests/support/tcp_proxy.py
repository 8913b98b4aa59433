"""A loopback TCP proxy a test can cut and restore, to take a dependency away from one client
without stopping the shared server."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = 0
        self.severed = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._budget: int | None = None

    async def start(self) -> None:
        """Listen (again, on the same port after a cut) and forward new connections."""
        self.severed.clear()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop listening and drop every forwarded connection, as a dead broker would."""
        server = self._server
        self.sever()
        if server is not None:
            await server.wait_closed()

    def sever(self) -> None:
        """`cut()` from synchronous code, at once: for a callback that must cut at an exact point
        (nothing the client sends afterwards reaches the target)."""
        self._budget = None
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._pipes):
            task.cancel()
        self._writers.clear()
        self.severed.set()

    def drop_connections(self) -> None:
        """Abort the forwarded connections but keep listening: a blip the client recovers from."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def sever_after(self, upstream_bytes: int) -> None:
        """Sever once clients have sent `upstream_bytes` more bytes (to cut mid-conversation)."""
        self._budget = upstream_bytes

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        for src, dst, upstream in ((reader, up_writer, True), (up_reader, writer, False)):
            task = asyncio.create_task(self._pipe(src, dst, upstream))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, upstream: bool
    ) -> None:
        try:
            while data := await src.read(65536):
                if upstream and self._budget is not None:
                    self._budget -= len(data)
                    if self._budget <= 0:
                        self.sever()
                        return
                dst.write(data)
                await dst.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                dst.transport.abort()
            self._writers.discard(dst)


def proxied_url(amqp_url: str, proxy: TcpProxy) -> str:
    """`amqp_url` through `proxy`, credentials kept."""
    parts = urlsplit(amqp_url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{proxy.port}" if credentials else f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=netloc))
