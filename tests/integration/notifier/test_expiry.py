"""A session lasts as long as its token (plus the leeway): it ends with 4001 then, unless the
client sent a fresh token of the same user before; a token of anyone else ends it at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from taskwire.common.auth import mint_token
from taskwire.notifier.api.credentials import expires_at
from taskwire.notifier.app import Notifier
from taskwire.notifier.settings import NotifierSettings
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import User, Users
from taskwire.testkit.waiting import eventually
from tests.support.notifier import client

Start = Callable[..., AbstractAsyncContextManager[Notifier]]
LEEWAY = 1


def token_for(settings: NotifierSettings, user: User, seconds: float) -> str:
    return mint_token(settings, user.id, user.email, user.name, ttl=timedelta(seconds=seconds))


async def test_a_session_ends_with_4001_once_its_token_has_expired(
    start: Start, settings: NotifierSettings, users: Users
) -> None:
    ada = users("ada")
    short = token_for(settings, ada, 2)
    async with (
        start(jwt_leeway_seconds=LEEWAY) as notifier,
        client(notifier, ada, token=short) as feed,
    ):
        assert (await feed.subscribe(f"user:{ada.id}"))["op"] == "subscribed"
        assert await feed.closed() == 4001
        # Not before: the leeway every service allows a token counts here too.
        assert time.time() >= expires_at(short) + LEEWAY - 0.05


async def test_a_fresh_token_of_the_same_user_keeps_the_session_open(
    start: Start, settings: NotifierSettings, users: Users, projects_service: str
) -> None:
    ada = users("ada")
    _, project = await workspace_and_project(projects_service, ada)
    short, fresh = token_for(settings, ada, 2), token_for(settings, ada, 3600)
    async with (
        start(jwt_leeway_seconds=LEEWAY) as notifier,
        client(notifier, ada, token=short) as feed,
    ):
        await feed.send(op="auth", token=fresh)
        renewed = await feed.next()
        assert renewed == {"op": "renewed", "user_id": str(ada.id), "exp": int(expires_at(fresh))}
        await eventually(
            lambda: time.time() > expires_at(short) + LEEWAY + 0.5, what="the first token gone"
        )
        assert (await feed.subscribe(f"project:{project}"))["op"] == "subscribed"
        assert [s.credentials.caller.token for s in notifier.sessions] == [fresh]


async def test_a_token_of_another_user_or_a_bad_one_ends_the_session(
    notifier: Notifier, users: Users
) -> None:
    ada, bob = users("ada"), users("bob")
    async with client(notifier, ada) as feed:
        await feed.send(op="auth", token=bob.token)
        assert await feed.closed() == 4001
    async with client(notifier, ada) as feed:
        await feed.send(op="auth", token=ada.token[:-4] + "AAAA")
        assert await feed.closed() == 4001
