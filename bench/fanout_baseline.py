"""The baseline of bench/fanout.py: a bare websockets server broadcasting pre-encoded frames.

`/ws`: each message a client sends is answered with one frame, and from its second message on
(the benchmark's `subscribe`) the client receives every broadcast. `/control`: each message
received there is broadcast as it is (the same bytes, a text frame) to every such client at once,
with `websockets.asyncio.server.broadcast`, as the notifier's hub does. Nothing else: no
authentication, no rooms, no numbering, no history, no broker, no Redis. On uvloop, with the
notifier's connection options (no compression, the same frame limit and pings), in its own
process:

    python bench/fanout_baseline.py PORT
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
from pathlib import Path

import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.fanout_client import raise_fd_limit
from taskwire.notifier.settings import NotifierSettings

ANSWER = b'{"op":"ok"}'


async def main(port: int) -> None:
    subscribers: set[ServerConnection] = set()

    async def handler(connection: ServerConnection) -> None:
        request = connection.request
        if request is not None and request.path == "/control":
            try:
                while True:
                    broadcast(subscribers, await connection.recv(decode=False), text=True)
            except ConnectionClosed:
                return
        answered = 0
        try:
            async for _ in connection:
                await connection.send(ANSWER, text=True)
                answered += 1
                if answered == 2:
                    subscribers.add(connection)
        finally:
            subscribers.discard(connection)

    stop, loop = asyncio.Event(), asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    like = NotifierSettings()
    async with serve(
        handler,
        "127.0.0.1",
        port,
        max_size=like.max_frame_bytes,
        ping_interval=like.ping_interval_seconds,
        ping_timeout=like.ping_timeout_seconds,
        compression=None,
    ):
        gc.freeze()  # as the notifier's serve does
        print(f"baseline: serving ws://127.0.0.1:{port}/ws", flush=True)
        await stop.wait()


if __name__ == "__main__":
    raise_fd_limit()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main(int(sys.argv[1])))
