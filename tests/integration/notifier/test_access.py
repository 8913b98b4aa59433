"""Nobody sees what they do not belong to: tokens checked, rooms authorised by workspace
membership, a user room for its user alone, and a removed member cut off at once."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from taskwire.common.auth import mint_token
from taskwire.notifier.app import Notifier
from taskwire.notifier.settings import NotifierSettings
from taskwire.testkit.board import task_event
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.support.amqp import EventSender
from tests.support.notifier import add_member, client, removal_event, url_of


async def closed_with(notifier: Notifier, first: str | None, **options: object) -> int:
    async with connect(url_of(notifier), **options) as connection:  # type: ignore[arg-type]
        if first is not None:
            await connection.send(first)
        with pytest.raises(ConnectionClosed) as closed:
            await connection.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_a_bad_expired_or_missing_token_is_refused_with_4001(
    notifier: Notifier, settings: NotifierSettings, users: Users
) -> None:
    forged = users("eve").token[:-4] + "AAAA"
    expired = mint_token(settings, uuid4(), "x@example.test", "X", ttl=timedelta(minutes=-5))
    assert await closed_with(notifier, f'{{"op": "auth", "token": "{forged}"}}') == 4001
    assert await closed_with(notifier, f'{{"op": "auth", "token": "{expired}"}}') == 4001
    assert await closed_with(notifier, '{"op": "subscribe", "room": "user:x"}') == 4001
    assert await closed_with(notifier, "not json") == 4001
    assert await closed_with(notifier, None) == 4001  # nothing within the auth timeout


async def test_the_token_may_come_in_the_authorization_header(
    notifier: Notifier, users: Users
) -> None:
    ada = users("ada")
    headers = {"Authorization": f"Bearer {ada.token}"}
    async with connect(url_of(notifier), additional_headers=headers) as connection:
        assert f'"user_id":"{ada.id}"' in str(await connection.recv())


async def test_another_workspace_s_rooms_are_refused_and_its_events_never_arrive(
    notifier: Notifier, users: Users, projects_service: str, events: EventSender
) -> None:
    ada, bob = users("ada"), users("bob")
    ws_a, project_a = await workspace_and_project(projects_service, ada)
    ws_b, project_b = await workspace_and_project(projects_service, bob)
    async with client(notifier, ada) as feed:
        for room in (f"project:{project_b}", f"workspace:{ws_b}", f"user:{bob.id}"):
            refused = await feed.subscribe(room)
            assert (refused["op"], refused["code"], refused["room"]) == ("error", "forbidden", room)
        assert (await feed.subscribe(f"project:{project_a}"))["op"] == "subscribed"
        assert (await feed.subscribe(f"user:{ada.id}"))["op"] == "subscribed"
        await events.publish(task_event(project_b, ws_b, "secret"), task_event(project_a, ws_a))
        (frame,) = await feed.events(1)
        assert frame["event"]["project_id"] == str(project_a)
        await events.publish(task_event(project_a, ws_a, "second"))
        (again,) = await feed.events(1)  # the secret one never came in between
        assert again["event"]["data"]["title"] == "second"


async def test_a_removed_member_is_cut_off_at_once(
    notifier: Notifier, users: Users, projects_service: str, events: EventSender
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace, project = await workspace_and_project(projects_service, ada)
    member = await add_member(projects_service, ada, workspace, bob)
    async with client(notifier, bob) as feed:
        assert (await feed.subscribe(f"project:{project}"))["op"] == "subscribed"
        assert (await feed.subscribe(f"workspace:{workspace}"))["op"] == "subscribed"
        assert (await feed.subscribe(f"user:{bob.id}"))["op"] == "subscribed"
        await events.publish(task_event(project, workspace, "before", assignee_id=bob.id))
        assert {(await feed.next())["room"] for _ in range(2)} == {
            f"project:{project}",
            f"user:{bob.id}",
        }
        await events.publish(removal_event(member))
        cut: set[str] = set()
        while len(cut) < 2:
            frame = await feed.next()
            if frame["op"] == "error":
                assert frame["code"] == "forbidden"
                cut.add(frame["room"])
        assert cut == {f"project:{project}", f"workspace:{workspace}"}
        assigned = task_event(project, workspace, "still assigned", assignee_id=bob.id)
        await events.publish(task_event(project, workspace, "after"), assigned)
        await eventually(lambda: notifier.consumer.handled >= 3, what="both consumed")
        await feed.send(op="presence", room=f"project:{project}")
        answer = await feed.next()  # no event in between: the rooms are no longer bob's
        assert (answer["op"], answer["code"]) == ("error", "not_subscribed")


async def test_bad_messages_get_an_error_and_the_connection_stays(
    notifier: Notifier, users: Users
) -> None:
    ada = users("ada")
    async with client(notifier, ada) as feed:
        for raw, code in [
            ("not json", "bad_request"),
            ("[1, 2]", "bad_request"),
            ('{"op": ["subscribe"]}', "unknown_op"),
            ('{"op": "dance"}', "unknown_op"),
            ('{"op": "subscribe", "room": "team:1"}', "bad_request"),
            (
                '{"op": "subscribe", "room": "project:not-a-uuid-but-36-characters-long"}',
                "bad_request",
            ),
            (f'{{"op": "subscribe", "room": "user:{ada.id}", "since": -1}}', "bad_request"),
            (f'{{"op": "subscribe", "room": "user:{ada.id}", "since": true}}', "bad_request"),
            ('{"op": "unsubscribe", "room": "user:x"}', "not_subscribed"),
        ]:
            await feed.connection.send(raw)
            answer = await feed.next()
            assert (answer["op"], answer["code"]) == ("error", code), raw
        assert (await feed.subscribe(f"user:{ada.id}"))["op"] == "subscribed"
