"""A member removed from a workspace is left in none of its rooms, even when a subscribe was
under way as the removal ran: the projects service had said yes, and its answer was still on its
way (a slow link) when the removal's revoke went out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

import httpx

from taskwire.notifier.app import Notifier
from taskwire.testkit.board import task_event
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import User, Users
from taskwire.testkit.waiting import eventually
from tests.support.amqp import EventSender
from tests.support.notifier import Client, add_member, client, removal_event, workspace_event
from tests.support.tcp_proxy import TcpProxy, proxied_url

Start = Callable[..., AbstractAsyncContextManager[Notifier]]
ANSWERS = ("subscribed", "unsubscribed", "error")


async def answer(feed: Client, room: str) -> dict[str, Any]:
    """The next answer about `room`, past any event frame."""
    while True:
        frame = await feed.next()
        if frame["op"] in ANSWERS and frame.get("room") == room:
            return frame


async def churn(feed: Client, room: str, done: Callable[[], bool]) -> None:
    """Subscribe to `room` and unsubscribe, over and over; the last step is a subscribe."""
    while True:
        await feed.send(op="subscribe", room=room)
        subscribed = (await answer(feed, room))["op"] == "subscribed"
        if done():
            return
        if subscribed:
            await feed.send(op="unsubscribe", room=room)
            await answer(feed, room)


async def remove(projects_service: str, owner: User, workspace: object, member: User) -> None:
    async with httpx.AsyncClient(base_url=f"{projects_service}/api/v1") as http:
        gone = await http.delete(f"/workspaces/{workspace}/members/{member.id}", headers=owner.auth)
    assert gone.status_code == 204, gone.text


async def test_a_member_removed_while_subscribing_gets_no_frame_a_second_later(
    start: Start, users: Users, projects_service: str, events: EventSender
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace, project = await workspace_and_project(projects_service, ada)
    member = await add_member(projects_service, ada, workspace, bob)
    rooms = [f"project:{project}", f"workspace:{workspace}"] * 2
    loop = asyncio.get_running_loop()
    removed_at: list[float] = []

    def a_second_after_the_removal() -> bool:
        return bool(removed_at) and loop.time() >= removed_at[0] + 1.0

    async with (
        TcpProxy.to(projects_service, answer_delay=0.5) as link,
        # Churning sends far more than a person's 20 messages a second.
        start(
            projects_url=proxied_url(projects_service, link), messages_per_second=10_000.0
        ) as notifier,
        client(notifier, ada) as watcher,
        AsyncExitStack() as stack,
    ):
        for room in set(rooms):
            assert (await watcher.subscribe(room))["op"] == "subscribed"
        feeds = [await stack.enter_async_context(client(notifier, bob)) for _ in rooms]
        churning = [
            asyncio.create_task(churn(feed, room, a_second_after_the_removal))
            for feed, room in zip(feeds, rooms, strict=True)
        ]
        # The projects service has said yes to bob; the answer is on its way when he is removed.
        await eventually(lambda: link.held > 0, what="a yes on its way")
        await remove(projects_service, ada, workspace, bob)
        await events.publish(removal_event(member))
        removed_at.append(loop.time())
        await asyncio.wait_for(asyncio.gather(*churning), 30)

        await events.publish(task_event(project, workspace, "after"), workspace_event(workspace))
        seen: set[str] = set()
        while len(seen) < 2:  # both have gone out to the rooms' sockets
            frame = await watcher.next()
            if frame["op"] == "event" and frame["event"]["type"] != "member.removed":
                seen.add(frame["room"])
        for feed, room in zip(feeds, rooms, strict=True):
            assert await probe(feed, room) == "not_subscribed"


async def probe(feed: Client, room: str) -> str:
    """Ask who is in `room`: "presence" if `feed` is in it, else the error's code. Past any late
    answer of the churn; no event may come before it."""
    await feed.send(op="presence", room=room)
    while True:
        frame = await feed.next()
        assert frame["op"] != "event", frame
        if frame["op"] == "presence" or frame.get("code") == "not_subscribed":
            return str(frame.get("code", frame["op"]))
