"""A proxy in front of Postgres that counts the round trips its clients make.

It reads what each client sends in the frontend protocol: after the startup packet (which names
the client's `application_name`), every message is a type byte and an int32 length. A `Sync`
('S', the end of an extended-query exchange: parse/bind/execute) or a simple `Query` ('Q') is
where a client waits for the server's answer, so each ends exactly one round trip.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import cast

from sqlalchemy import make_url

from tests.support.tcp_proxy import TcpProxy

_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104
_ROUND_TRIP_ENDS = frozenset(b"SQ")


class FrontendStream:
    """One client connection's bytes, split into messages as they arrive."""

    def __init__(self, round_trips: Counter[str]) -> None:
        self.round_trips = round_trips
        self.application: str | None = None  # known once the startup packet has passed
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while self._next_message():
            pass

    def _next_message(self) -> bool:
        buffer = self._buffer
        if self.application is None:
            # Startup-phase packets have no type byte: int32 length, int32 code, body.
            if len(buffer) < 8 or len(buffer) < (length := int.from_bytes(buffer[:4], "big")):
                return False
            code = int.from_bytes(buffer[4:8], "big")
            if code not in (_SSL_REQUEST, _GSSENC_REQUEST):  # those precede the real one
                self.application = _parameters(bytes(buffer[8:length])).get("application_name", "")
            del buffer[:length]
            return True
        if len(buffer) < 5 or len(buffer) < 1 + (length := int.from_bytes(buffer[1:5], "big")):
            return False
        if buffer[0] in _ROUND_TRIP_ENDS:
            self.round_trips[self.application] += 1
        del buffer[: 1 + length]
        return True


def _parameters(body: bytes) -> dict[str, str]:
    """The startup packet's NUL-separated name/value pairs."""
    words = body.split(b"\0")
    return {
        words[i].decode(): words[i + 1].decode() for i in range(0, len(words) - 1, 2) if words[i]
    }


class _Tapped:
    """A stream reader whose bytes a `FrontendStream` reads too, on their way through."""

    def __init__(self, reader: asyncio.StreamReader, stream: FrontendStream) -> None:
        self._reader = reader
        self._stream = stream

    async def read(self, n: int = -1) -> bytes:
        data = await self._reader.read(n)
        self._stream.feed(data)
        return data


class PgCounter(TcpProxy):
    """`round_trips[application_name]`: how many each kind of client has made so far."""

    def __init__(self, target_host: str, target_port: int) -> None:
        super().__init__(target_host, target_port)
        self.round_trips: Counter[str] = Counter()

    def url(self, database_url: str) -> str:
        """`database_url` with its host and port pointing at this proxy."""
        proxied = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return proxied.render_as_string(hide_password=False)

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, upstream: bool
    ) -> None:
        if upstream:
            src = cast(asyncio.StreamReader, _Tapped(src, FrontendStream(self.round_trips)))
        await super()._pipe(src, dst, upstream)
