"""A loopback link to an HTTP service whose answers arrive late: each answer is what the service
said when asked, still on its way while the world changes (a member removed meanwhile)."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit


class SlowLink:
    def __init__(self, target_url: str, delay: float) -> None:
        target = urlsplit(target_url)
        self._target = (target.hostname or "127.0.0.1", target.port or 80)
        self._delay = delay
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self.held = 0  # chunks of answers the service has sent that have not arrived yet
        self.url = ""

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        for work in (
            self._pipe(reader, up_writer, 0.0),
            self._pipe(up_reader, writer, self._delay),
        ):
            task = asyncio.create_task(work)
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, delay: float
    ) -> None:
        """Forward in order, each chunk `delay` seconds after it was read."""
        loop = asyncio.get_running_loop()
        late = int(delay > 0)
        on_the_way: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await on_the_way.get()
                await asyncio.sleep(max(0.0, due - loop.time()))  # the link's latency
                sink.write(data)
                self.held -= late
                on_the_way.task_done()

        delivering = asyncio.create_task(deliver())
        try:
            while data := await source.read(65536):
                self.held += late
                on_the_way.put_nowait((loop.time() + delay, data))
            await on_the_way.join()
        finally:
            delivering.cancel()
            with contextlib.suppress(Exception):
                sink.close()
