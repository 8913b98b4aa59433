"""A loopback TCP proxy a test (or the soak) can cut and restore, to take a dependency away from
one client without stopping the shared server; blackhole, so that connections are accepted and
nothing ever comes back (a network that drops packets, not one that refuses); or slow, its
answers arriving `answer_delay` seconds late (what the server said when asked, still on its way
while the world changes)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Self
from urllib.parse import urlsplit, urlunsplit


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, *, answer_delay: float = 0.0) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.answer_delay = answer_delay
        self.port = 0
        self.severed = asyncio.Event()
        self.held = 0  # chunks of answers the target has sent that have not arrived yet
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._budget: int | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._refusing = False

    @classmethod
    def to(cls, url: str, default_port: int = 80, *, answer_delay: float = 0.0) -> TcpProxy:
        """A proxy to the host and port `url` names (`proxied_url` is `url` through it)."""
        target = urlsplit(url)
        host, port = target.hostname or "127.0.0.1", target.port or default_port
        return cls(host, port, answer_delay=answer_delay)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.cut()

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

    def refuse(self) -> None:
        """Drop every connection and reset each new one at once, keeping the port: a cut that
        can always be undone (a port let go may be taken meanwhile by some outgoing connection,
        whose local port the system picks from the same range)."""
        self._refusing = True
        self.drop_connections()

    def admit(self) -> None:
        """After `refuse()`: new connections are forwarded again."""
        self._refusing = False

    def blackhole(self) -> None:
        """Keep every connection open and accept new ones, but pass nothing either way: the
        client waits on its own timeouts, as behind a firewall that drops packets."""
        self._flowing.clear()

    def unblock(self) -> None:
        """After `blackhole()`: what was held back flows again."""
        self._flowing.set()

    def drop_connections(self) -> None:
        """Abort the forwarded connections but keep listening: a blip the client recovers from."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def sever_after(self, upstream_bytes: int) -> None:
        """Sever once clients have sent `upstream_bytes` more bytes (to cut mid-conversation)."""
        self._budget = upstream_bytes

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._refusing:
            writer.transport.abort()
            return
        await self._flowing.wait()  # a blackhole accepts, and connects nowhere meanwhile
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
        late = not upstream and self.answer_delay > 0
        try:
            if late:
                await self._deliver_late(src, dst)
            else:
                await self._forward(src, dst, upstream)
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                if late:  # what is on its way still arrives before the close
                    dst.close()
                else:
                    dst.transport.abort()
            self._writers.discard(dst)

    async def _forward(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, upstream: bool
    ) -> None:
        while data := await src.read(65536):
            await self._flowing.wait()
            if upstream and self._budget is not None:
                self._budget -= len(data)
                if self._budget <= 0:
                    self.sever()
                    return
            dst.write(data)
            await dst.drain()

    async def _deliver_late(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        """Forward in order, each chunk `answer_delay` seconds after it was read."""
        loop = asyncio.get_running_loop()
        on_the_way: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await on_the_way.get()
                await asyncio.sleep(max(0.0, due - loop.time()))  # the link's latency
                dst.write(data)
                self.held -= 1
                on_the_way.task_done()

        delivering = asyncio.create_task(deliver())
        try:
            while data := await src.read(65536):
                self.held += 1
                on_the_way.put_nowait((loop.time() + self.answer_delay, data))
            await on_the_way.join()
        finally:
            delivering.cancel()


def proxied_url(url: str, proxy: TcpProxy) -> str:
    """`url` (a broker's, a service's) through `proxy`, credentials kept."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{proxy.port}" if credentials else f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=netloc))
