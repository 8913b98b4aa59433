"""`X-Client-Mutation-Id` on every task write: the single-statement create and changes (bound
into the statement with the event) and the bulk create (a unit of work) record events that carry
it; a replayed create records none; a malformed one writes nothing."""

from __future__ import annotations

import httpx

from tests.integration.tasks.helpers import World, counts
from tests.support.bus import Bus
from tests.support.mutations import HEADER, Writer
from tests.support.problems import assert_problem


async def test_every_task_write_names_its_events(
    client: httpx.AsyncClient, w: World, bus: Bus
) -> None:
    writer = Writer(client, bus, w.member)
    task, events = await writer.write("tab-1:1", "POST", w.tasks_url, {"title": "One"})
    assert events == [("task.created", "tab-1:1")]
    url = f"/tasks/{task['id']}"
    steps = [
        ("tab-1:2", "PATCH", url, {"title": "Renamed"}, "task.updated"),
        ("tab-1:3", "POST", f"{url}/move", {"status_id": str(w.project.done)}, "task.moved"),
        ("tab-1:4", "POST", f"{url}/archive", None, "task.archived"),
        ("tab-1:5", "POST", f"{url}/restore", None, "task.restored"),
        ("tab-1:6", "DELETE", url, None, "task.deleted"),
    ]
    for mutation_id, method, path, body, type_ in steps:
        assert (await writer.write(mutation_id, method, path, body))[1] == [(type_, mutation_id)]

    bulk = {"tasks": [{"title": f"t{n}"} for n in range(3)]}
    _, events = await writer.write("import.7", "POST", f"{w.tasks_url}/bulk", bulk)
    assert events == [("task.created", "import.7")] * 3

    _, events = await writer.write(None, "POST", w.tasks_url, {"title": "Unnamed"})
    assert events == [("task.created", None)]


async def test_a_replayed_create_records_no_event(
    client: httpx.AsyncClient, w: World, bus: Bus
) -> None:
    writer = Writer(client, bus, w.member)
    key = {"Idempotency-Key": "once"}
    for mutation_id in ("first", "retry"):
        response = await client.post(
            f"/api/v1{w.tasks_url}",
            json={"title": "Once"},
            headers={**w.member.auth, **key, HEADER: mutation_id},
        )
        assert response.status_code == 201, response.text
    assert await writer.written() == [("task.created", "first")]


async def test_a_malformed_mutation_id_is_a_bad_request_that_writes_nothing(
    client: httpx.AsyncClient, w: World, bus: Bus, database_url: str
) -> None:
    writer = Writer(client, bus, w.member)
    task, _ = await writer.write(None, "POST", w.tasks_url, {"title": "Baseline"})
    before = await counts(database_url)
    url = f"/tasks/{task['id']}"
    writes = [
        ("POST", w.tasks_url, {"title": "New"}),
        ("POST", f"{w.tasks_url}/bulk", {"tasks": [{"title": "New"}]}),
        ("PATCH", url, {"title": "Renamed"}),
        ("POST", f"{url}/move", {"status_id": str(w.project.done)}),
        ("POST", f"{url}/archive", None),
        ("DELETE", url, None),
    ]
    for bad in ("", "x" * 65, "a b", "a,b", "ünï".encode()):
        for method, path, body in writes:
            problem = assert_problem(await writer.send(bad, method, path, body), 400, "bad-request")
            assert HEADER in problem["detail"]
    assert await counts(database_url) == before
    await bus.quiet()
