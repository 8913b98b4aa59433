"""What the projects service reads from the events it consumes, and what a batch of them changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import orjson
import pytest

from taskwire.common.events import Envelope, EventDecodeError, Subject, encode, new_event
from taskwire.common.events.aggregator import DerivedStatusChange, Progress
from taskwire.common.events.projects import Category, Counts, ProjectState
from taskwire.common.events.tasks import TASK_CREATED
from taskwire.common.ids import new_id
from taskwire.projects.domain import (
    Progressed,
    TaskTouched,
    newest_progress,
    revived_by,
)
from taskwire.projects.handlers import parse

A, B = UUID(int=1), UUID(int=2)
NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def _aggregator_event(type_: str, data: Progress | DerivedStatusChange, project: UUID) -> bytes:
    subject = Subject(kind="project", id=project, version=data.counts_version)
    return encode(new_event(type_, producer="aggregator", subject=subject, data=data))


def _task_event(project: UUID, actor: UUID | None) -> Envelope:
    return new_event(
        TASK_CREATED,
        producer="tasks",
        subject=Subject(kind="task", id=new_id(), version=1),
        data=Counts(),  # any state: the projects service reads none of it
        project_id=project,
        actor_id=actor,
    )


def _progress(project: UUID, version: int, total: int) -> Progressed:
    return Progressed(project, version, Category.TODO, Counts(total=total, todo=total))


def test_progress_is_read_with_its_counts_and_version() -> None:
    data = Progress(counts=Counts(total=2, done=2), derived_status=Category.DONE, counts_version=4)
    assert parse(_aggregator_event("project.progress_changed", data, A)) == Progressed(
        A, 4, Category.DONE, Counts(total=2, done=2)
    )


def test_a_derived_status_change_is_read_without_counts() -> None:
    data = DerivedStatusChange(old=Category.TODO, new=Category.ISSUE, counts_version=3)
    assert parse(_aggregator_event("project.derived_status_changed", data, A)) == Progressed(
        A, 3, Category.ISSUE, None
    )


def test_a_task_event_is_read_without_its_task() -> None:
    actor = new_id()
    body = orjson.loads(encode(_task_event(A, actor)))
    body["data"] = {"anything": "not read"}
    touched = parse(orjson.dumps(body))
    assert touched == TaskTouched(A, datetime.fromisoformat(body["occurred_at"]), actor)


@pytest.mark.parametrize(
    "change",
    [
        {"type": "task.moved"},  # not one this service handles
        {"project_id": None},  # a task event naming no project
    ],
)
def test_events_it_cannot_use_are_ignored(change: dict[str, object]) -> None:
    body = orjson.loads(encode(_task_event(A, None)))
    assert parse(orjson.dumps({**body, **change})) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not a valid event envelope"),
        (orjson.dumps({"type": "task.created"}), "not a valid event envelope"),
        (
            orjson.dumps({**orjson.loads(encode(_task_event(A, None))), "schema": 2}),
            "unsupported schema",
        ),
    ],
)
def test_what_is_no_readable_envelope_is_poison(body: bytes, reason: str) -> None:
    with pytest.raises(EventDecodeError, match=reason):
        parse(body)


def test_progress_whose_data_is_unreadable_is_poison() -> None:
    data = Progress(counts=Counts(total=1, todo=1), derived_status=Category.TODO, counts_version=1)
    body = orjson.loads(_aggregator_event("project.progress_changed", data, A))
    body["data"]["counts_version"] = 0
    with pytest.raises(EventDecodeError, match=r"data is not readable: data\.counts_version"):
        parse(orjson.dumps(body))


def test_of_a_batch_only_the_newest_progress_of_each_project_remains() -> None:
    batch = [_progress(A, 3, 30), _progress(A, 1, 10), _progress(B, 1, 7), _progress(A, 2, 20)]
    newest = newest_progress(batch)
    assert newest.counts == {A: (3, Counts(total=30, todo=30)), B: (1, Counts(total=7, todo=7))}
    assert newest.derived == {A: (3, Category.TODO), B: (1, Category.TODO)}


def test_a_derived_status_change_keeps_the_counts_of_its_version() -> None:
    derived = Progressed(A, 7, Category.DONE, None)
    progress = Progressed(A, 7, Category.IN_PROGRESS, Counts(total=3, done=3))
    newest = newest_progress([_progress(A, 6, 1), derived, progress])
    assert newest.counts == {A: (7, Counts(total=3, done=3))}
    assert newest.derived == {A: (7, Category.DONE)}  # the first of version 7, as one by one


def test_of_equal_versions_the_first_stays() -> None:
    newest = newest_progress([_progress(A, 5, 5), _progress(A, 5, 2)])
    assert newest.counts == {A: (5, Counts(total=5, todo=5))}


def test_the_first_task_change_after_the_archive_revives_the_project() -> None:
    project = _project(archived_at=NOW)
    early, late, later = (
        TaskTouched(A, NOW - timedelta(seconds=1), new_id()),
        TaskTouched(A, NOW + timedelta(seconds=1), new_id()),
        TaskTouched(A, NOW + timedelta(seconds=2), new_id()),
    )
    assert revived_by(project, [early, late, later]) == late
    assert revived_by(project, [early, TaskTouched(A, NOW, new_id())]) is None  # not after it
    assert revived_by(_project(archived_at=None), [late]) is None


def _project(archived_at: datetime | None) -> ProjectState:
    return ProjectState(
        id=A,
        workspace_id=B,
        key="WEB",
        name="Web",
        description="",
        archived_at=archived_at,
        derived_status=Category.TODO,
        counts=Counts(),
        version=2,
        created_at=NOW,
        updated_at=NOW,
    )
