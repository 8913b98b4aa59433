"""A connection to /ws, from the handshake to its close: authenticated (from the Authorization
header, else the first message; never from the URL), counted against its user's limit across
every process, then served as a `Session` until either side closes it."""

from __future__ import annotations

import asyncio
import logging
import secrets

import orjson
import redis.asyncio as redis
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from taskwire.common.auth import Caller, TokenVerifier, bearer_token
from taskwire.common.errors import Unauthenticated
from taskwire.notifier.api.session import TOO_MANY, UNAUTHENTICATED, Services, Session
from taskwire.notifier.fanout import Hub
from taskwire.notifier.settings import NotifierSettings
from taskwire.notifier.store.registry import Registry

log = logging.getLogger(__name__)

TRY_AGAIN_LATER = 1013


class Connections:
    """What serves each connection; `sessions` are those open in this process."""

    def __init__(
        self,
        services: Services,
        hub: Hub,
        registry: Registry,
        verifier: TokenVerifier,
        auth_timeout_seconds: float,
    ) -> None:
        self.services = services
        self.hub = hub
        self.registry = registry
        self.verifier = verifier
        self.auth_timeout_seconds = auth_timeout_seconds
        self.sessions: set[Session] = set()

    async def serve(self, connection: ServerConnection) -> None:
        caller = await self._authenticate(connection)
        if caller is None:
            return
        name = secrets.token_hex(8)
        try:
            admitted = await self.registry.connect(caller.user_id, name)
        except (redis.RedisError, OSError) as exc:
            log.warning("cannot count a connection (%r); asking the client to retry", exc)
            await connection.close(TRY_AGAIN_LATER, "try again later")
            return
        if not admitted:
            await connection.close(TOO_MANY, "too many connections for this user")
            return
        session = Session(connection, caller, self.services, name)
        self.sessions.add(session)
        self.hub.connected(session)
        try:
            await session.send({"op": "ready", "user_id": str(caller.user_id)})
            async for message in connection:
                await session.handle(message)
        except ConnectionClosed:
            pass
        finally:
            self.sessions.discard(session)
            self.hub.disconnected(session)
            await session.close()

    async def _authenticate(self, connection: ServerConnection) -> Caller | None:
        """From the Authorization header, else the first message; never from the URL."""
        header = connection.request.headers.get("Authorization") if connection.request else None
        try:
            if header:
                return await self.verifier.verify(bearer_token(header))
            first = await asyncio.wait_for(connection.recv(), self.auth_timeout_seconds)
            message = orjson.loads(first)
            if not isinstance(message, dict) or message.get("op") != "auth":
                raise Unauthenticated('the first message must be {"op": "auth", "token": ...}')
            token = message.get("token")
            if not isinstance(token, str) or not token:
                raise Unauthenticated("auth needs a token")
            return await self.verifier.verify(token)
        except (Unauthenticated, orjson.JSONDecodeError, TimeoutError) as exc:
            reason = exc.args[0] if isinstance(exc, Unauthenticated) else "authenticate first"
            await connection.close(UNAUTHENTICATED, str(reason)[:120])
            return None
        except ConnectionClosed:
            return None


def allowed_origins(settings: NotifierSettings) -> list[Origin | None] | None:
    """The `Origin`s a handshake may carry (None: any). Only production holds browsers to its
    list, an empty one refusing them all; a client that sends no Origin is not a browser, and
    browsers are what the check protects (from pages of other sites opening the feed with their
    users' credentials)."""
    if settings.environment != "production":
        return None
    if not settings.allowed_origins:
        log.warning("TASKWIRE_NOTIFIER_ALLOWED_ORIGINS is empty: every browser will be refused")
    return [None, *map(Origin, settings.allowed_origins)]
