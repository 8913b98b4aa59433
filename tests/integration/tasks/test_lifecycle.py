"""Archive, restore and delete: idempotent archiving, and a tombstone that keeps the version."""

from __future__ import annotations

from tests.integration.tasks.changing import Changes, assert_carries, task_row
from tests.integration.tasks.helpers import Api, World, counts
from tests.support.bus import Bus
from tests.support.problems import assert_problem


async def test_archive_and_restore_each_write_once_and_repeat_as_no_ops(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str
) -> None:
    task = await api.create(w.owner, w.project)
    await bus.drain()

    archived = await changes.ok(w.member, "archive", task["id"])
    again = await changes.ok(w.member, "archive", task["id"])
    restored = await changes.ok(w.member, "restore", task["id"])
    still = await changes.ok(w.member, "restore", task["id"])

    assert archived["archived_at"] is not None
    assert archived["archived_at"] == archived["updated_at"]
    assert archived["version"] == 2
    assert again == archived
    assert (restored["archived_at"], restored["version"]) == (None, 3)
    assert still == restored
    archiving, restoring = await bus.take(2)
    assert_carries(archiving, "task.archived", archived)
    assert_carries(restoring, "task.restored", restored)
    assert archiving.changes == {"archived_at": [None, archiving.data["archived_at"]]}
    assert restoring.changes == {"archived_at": [archiving.data["archived_at"], None]}
    await bus.quiet()


async def test_an_archived_task_is_still_read_and_changed(
    w: World, api: Api, changes: Changes
) -> None:
    task = await api.create(w.owner, w.project)
    await changes.ok(w.member, "archive", task["id"])

    edited = await changes.patch(w.member, task["id"], title="Still here")
    shown = await api.get(w.viewer, f"/tasks/{task['id']}")

    assert edited["archived_at"] is not None
    assert shown.status_code == 200
    assert shown.json() == edited


async def test_a_deleted_task_is_a_tombstone_at_the_next_version_hidden_from_reads(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str
) -> None:
    task = await api.create(w.owner, w.project, title="Doomed")
    kept = await api.create(w.owner, w.project, title="Kept")
    await changes.patch(w.member, task["id"], priority="high")
    await bus.drain()

    deleted = await changes.send(w.member, "delete", task["id"], if_match='"2"')

    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    event = await bus.next()
    assert event.type == "task.deleted"
    assert event.data["deleted"] is True
    assert (event.subject.version, event.data["version"]) == (3, 3)
    assert event.data["priority"] == "high"
    assert event.changes == {"deleted": [False, True]}
    row = await task_row(database_url, task)
    assert (row["deleted"], row["version"], row["title"]) == (True, 3, "Doomed")
    assert_problem(await api.get(w.member, f"/tasks/{task['id']}"), 404, "not-found")
    listed = await api.walk(w.member, w.tasks_url, archived="all")
    assert [t["id"] for t in listed] == [kept["id"]]
    again = await changes.send(w.member, "delete", task["id"])
    assert_problem(again, 404, "not-found")
    await bus.quiet()


async def test_a_delete_with_a_stale_if_match_answers_412_and_keeps_the_task(
    w: World, api: Api, changes: Changes, database_url: str
) -> None:
    task = await api.create(w.owner, w.project)
    await changes.ok(w.member, "archive", task["id"])
    before = await counts(database_url)

    response = await changes.send(w.member, "delete", task["id"], if_match='"1"')

    assert assert_problem(response, 412, "precondition-failed")["current_version"] == 2
    assert await counts(database_url) == before
    row = await task_row(database_url, task)
    assert (row["deleted"], row["version"]) == (False, 2)
