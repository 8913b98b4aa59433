"""`X-Client-Mutation-Id`: every event a write records carries the name its client gave the
write, so that a browser knows its own changes on the feed; a malformed one changes nothing."""

from __future__ import annotations

import httpx

from taskwire.testkit.users import Users
from tests.integration.projects.helpers import Api, row_counts
from tests.support.bus import Bus
from tests.support.mutations import HEADER, Writer
from tests.support.problems import assert_problem


async def test_every_event_of_a_write_carries_its_mutation_id(
    client: httpx.AsyncClient, users: Users, bus: Bus
) -> None:
    ada, bob = users("ada"), users("bob")
    w = Writer(client, bus, ada)
    workspace, events = await w.write("ws-1", "POST", "/workspaces", {"name": "Acme"})
    assert events == [("workspace.created", "ws-1"), ("member.added", "ws-1")]
    member = {"user_id": str(bob.id), "email": bob.email, "display_name": bob.name}
    members = f"/workspaces/{workspace['id']}/members"
    assert (await w.write("m:1", "POST", members, member))[1] == [("member.added", "m:1")]
    made = {"key": "WEB", "name": "Web"}
    project, events = await w.write("p.1", "POST", f"/workspaces/{workspace['id']}/projects", made)
    assert events == [("project.created", "p.1")]
    url = f"/projects/{project['id']}"
    assert (await w.write("p.2", "PATCH", url, {"name": "Site"}))[1] == [("project.updated", "p.2")]

    # A status added first shifts the board: each status it moves is the same write's doing.
    added = {"name": "Triage", "category": "todo", "position": 0}
    status, events = await w.write("s_1", "POST", f"{url}/statuses", added)
    assert events == [("status.created", "s_1")] + [("status.updated", "s_1")] * 5
    renamed = await w.write("s_2", "PATCH", f"/statuses/{status['id']}", {"name": "Inbox"})
    assert renamed[1] == [("status.updated", "s_2")]
    other = project["statuses"][0]["id"]
    deleted = await w.write("s-3", "DELETE", f"/statuses/{status['id']}?move_to={other}")
    assert deleted[1][0] == ("status.deleted", "s-3")
    assert {named for _, named in deleted[1]} == {"s-3"}

    assert (await w.write("p.3", "POST", f"{url}/archive"))[1] == [("project.archived", "p.3")]
    # Without the header, null.
    assert (await w.write(None, "POST", f"{url}/restore"))[1] == [("project.restored", None)]


async def test_a_malformed_mutation_id_is_a_bad_request_that_writes_nothing(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    project = await api.project(ada, workspace)
    await bus.drain()
    before = await row_counts(database_url)
    w = Writer(client, bus, ada)
    url = f"/projects/{project['id']}"
    writes = [
        ("POST", "/workspaces", {"name": "Other"}),
        ("PATCH", url, {"name": "Renamed"}),
        ("POST", f"{url}/statuses", {"name": "Blocked", "category": "issue"}),
        ("DELETE", url, None),
    ]
    for bad in ("", "x" * 65, "not allowed", "tab/1", "ünï".encode()):
        for method, path, body in writes:
            response = await w.send(bad, method, path, body)
            problem = assert_problem(response, 400, "bad-request")
            assert HEADER in problem["detail"]
    assert await row_counts(database_url) == before
    await bus.quiet()
