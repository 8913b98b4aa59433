"""Moving a task: a fractional rank between neighbours, one row written, in or across columns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from taskwire.common.events.projects import Category
from taskwire.common.ids import new_id
from taskwire.testkit.seed import Seed
from tests.integration.tasks.changing import Changes, assert_carries, mark, task_row, task_rows
from tests.integration.tasks.helpers import Api, World, counts
from tests.support.bus import Bus
from tests.support.problems import assert_problem
from tests.support.sql import fetch


def rank(task: dict[str, Any]) -> Decimal:
    return Decimal(task["position"])


async def column(api: Api, w: World, *titles: str, **body: Any) -> list[dict[str, Any]]:
    return [await api.create(w.owner, w.project, title=title, **body) for title in titles]


async def test_a_move_between_two_neighbours_writes_one_row_and_one_event(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str
) -> None:
    a, b, c = await column(api, w, "A", "B", "C")
    await bus.drain()
    rows = await task_rows(database_url)
    end = await mark(database_url, w)

    moved = await changes.move(w.member, c["id"], after=a["id"], before=b["id"])

    assert rank(a) < rank(moved) < rank(b)
    assert (moved["status_id"], moved["category"], moved["version"]) == (c["status_id"], "todo", 2)
    after = await task_rows(database_url)
    written = {
        k
        for k in rows
        if (rows[k]["version"], rows[k]["rank"]) != (after[k]["version"], after[k]["rank"])
    }
    assert written == {UUID(c["id"])}
    assert (await task_row(database_url, c))["rank"] == moved["position"]
    assert await mark(database_url, w) == end
    assert (await api.get(w.viewer, f"/tasks/{c['id']}")).json() == moved
    event = await bus.next()
    assert_carries(event, "task.moved", moved)
    assert event.changes == {"position": [c["position"], moved["position"]]}
    await bus.quiet()


async def test_one_neighbour_places_the_task_right_beside_it(
    w: World, api: Api, changes: Changes
) -> None:
    a, b, c, d = await column(api, w, "A", "B", "C", "D")

    below_a = await changes.move(w.member, d["id"], after=a["id"])
    above_c = await changes.move(w.member, a["id"], before=c["id"])

    assert rank(a) < rank(below_a) < rank(b)
    assert rank(b) < rank(above_c) < rank(c)


async def test_to_the_top_and_to_the_end_of_the_column(
    w: World, api: Api, changes: Changes, database_url: str
) -> None:
    a, b, c = await column(api, w, "A", "B", "C")

    top = await changes.move(w.member, c["id"], before=a["id"])
    end = await changes.move(w.member, a["id"])

    assert rank(top) < rank(a)
    assert rank(end) > max(rank(b), rank(c))
    # The project's end-of-column mark went past the moved rank: a create lands below it.
    assert await mark(database_url, w) >= rank(end)
    later = await api.create(w.owner, w.project)
    assert rank(later) > rank(end)


async def test_naming_the_task_s_own_status_is_a_move_within_its_column(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str
) -> None:
    a, b = await column(api, w, "A", "B")
    await bus.drain()

    moved = await changes.move(w.member, b["id"], status_id=str(w.project.todo), before=a["id"])

    assert rank(moved) < rank(a)
    event = await bus.next()
    assert event.changes == {"position": [b["position"], moved["position"]]}


async def test_to_another_column_the_category_follows_the_status(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str
) -> None:
    (task,) = await column(api, w, "T")
    done = str(w.project.done)
    first, second = await column(api, w, "D1", "D2", status_id=done)
    review = str(w.project.statuses[Category.IN_REVIEW])
    await bus.drain()

    into_done = await changes.move(w.member, task["id"], status_id=done, before=second["id"])
    into_review = await changes.move(w.member, task["id"], status_id=review)

    assert (into_done["status_id"], into_done["category"]) == (done, "done")
    assert rank(first) < rank(into_done) < rank(second)
    assert (into_review["status_id"], into_review["category"]) == (review, "in_review")
    to_done, to_review = await bus.take(2)
    assert_carries(to_done, "task.moved", into_done)
    assert_carries(to_review, "task.moved", into_review)
    assert to_done.changes == {
        "status_id": [task["status_id"], done],
        "category": ["todo", "done"],
        "position": [task["position"], into_done["position"]],
    }
    assert to_review.changes["category"] == ["done", "in_review"]


async def test_into_another_column_after_a_task_or_between_two_of_it(
    w: World, api: Api, changes: Changes
) -> None:
    mover, other = await column(api, w, "M", "O")
    done = str(w.project.done)
    d1, d2, d3 = await column(api, w, "D1", "D2", "D3", status_id=done)

    below_d1 = await changes.move(w.member, mover["id"], status_id=done, after=d1["id"])
    between = await changes.move(w.member, other["id"], status_id=done, after=d2["id"])
    inside = await changes.move(
        w.member, mover["id"], status_id=done, after=d2["id"], before=between["id"]
    )

    assert rank(d1) < rank(below_d1) < rank(d2)
    assert rank(d2) < rank(between) < rank(d3)
    assert rank(d2) < rank(inside) < rank(between)
    assert {t["status_id"] for t in (below_d1, between, inside)} == {done}
    listed = await api.walk(w.viewer, w.tasks_url, status_id=done, order="board")
    order = [d1, d2, inside, between, d3]
    assert [t["id"] for t in listed] == [t["id"] for t in order]


async def test_an_archived_task_moves_and_stays_archived(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str
) -> None:
    a, task = await column(api, w, "A", "T")
    (d,) = await column(api, w, "D", status_id=str(w.project.done))
    archived = await changes.ok(w.member, "archive", task["id"])
    await bus.drain()

    within = await changes.move(w.member, task["id"], before=a["id"])
    across = await changes.move(w.member, task["id"], status_id=str(w.project.done), after=d["id"])

    assert rank(within) < rank(a)
    assert (across["category"], across["version"]) == ("done", 4)
    assert rank(across) > rank(d)
    assert within["archived_at"] == across["archived_at"] == archived["archived_at"]
    row = await task_row(database_url, task)
    assert (row["archived_at"] is not None, row["rank"]) == (True, across["position"])
    first, second = await bus.take(2)
    assert_carries(first, "task.moved", within)
    assert_carries(second, "task.moved", across)
    assert "archived_at" not in second.changes
    await bus.quiet()


async def test_a_move_to_what_is_not_there_answers_422_and_writes_nothing(
    w: World, api: Api, changes: Changes, seed: Seed, database_url: str
) -> None:
    a, b, task = await column(api, w, "A", "B", "T")
    (in_done,) = await column(api, w, "D", status_id=str(w.project.done))
    other = await seed.project(w.workspace_id, "APP")
    elsewhere = await api.create(w.owner, other, title="E")
    gone = w.project.statuses[Category.ISSUE]
    await fetch(database_url, "UPDATE statuses SET deleted = true WHERE id = $1", gone)
    before = await counts(database_url)
    refusals: list[dict[str, Any]] = [
        {"after": in_done["id"]},  # a task of another column
        {"before": elsewhere["id"]},  # a task of another project
        {"status_id": str(w.project.done), "after": a["id"]},  # not in the target column
        {"after": task["id"]},  # the task itself
        {"after": str(new_id())},
        {"after": b["id"], "before": a["id"]},  # the wrong way round
        {"status_id": str(other.todo)},  # a status of another project
        {"status_id": str(gone)},  # a deleted status
        {"status_id": str(new_id())},
    ]

    for body in refusals:
        response = await changes.send(w.member, "move", task["id"], body)
        assert_problem(response, 422, "unprocessable")
    assert await counts(database_url) == before


@pytest.mark.parametrize(
    "body",
    [{"after": "x"}, {"status_id": 3}, {"after": None, "before": None, "to": "top"}],
)
async def test_a_malformed_move_answers_422(
    w: World, api: Api, changes: Changes, body: dict[str, Any]
) -> None:
    (task,) = await column(api, w, "T")

    response = await changes.send(w.member, "move", task["id"], body)

    assert_problem(response, 422, "validation")


async def test_a_move_with_a_stale_if_match_answers_412(
    w: World, api: Api, changes: Changes, database_url: str
) -> None:
    a, b = await column(api, w, "A", "B")
    await changes.patch(w.member, b["id"], title="B2")
    before = await counts(database_url)

    response = await changes.send(w.member, "move", b["id"], {"before": a["id"]}, '"1"')

    assert assert_problem(response, 412, "precondition-failed")["current_version"] == 2
    assert await counts(database_url) == before
