"""The replica applies each projects-service event once, newest version wins, in any order."""

from __future__ import annotations

from taskwire.common.events import Subject, new_event
from taskwire.common.events.projects import (
    MEMBER_ADDED,
    MEMBER_REMOVED,
    PROJECT_ARCHIVED,
    PROJECT_CREATED,
    PROJECT_UPDATED,
    STATUS_UPDATED,
    WORKSPACE_CREATED,
    WORKSPACE_UPDATED,
    Category,
    Counts,
    Role,
)
from taskwire.projects.events import member_event, project_event, status_event, workspace_event
from taskwire.tasks.handlers import BINDINGS
from taskwire.testkit.users import Users
from tests.integration.tasks.replica_helpers import (
    ACTOR,
    NOW,
    ReplicaDb,
    member_state,
    project_state,
    status_of,
    workspace_state,
)


async def test_each_kind_is_stored_with_the_version_it_carries(db: ReplicaDb, users: Users) -> None:
    ada = users("ada")
    workspace = workspace_state()
    project = project_state(workspace.id)
    await db.apply(
        workspace_event(WORKSPACE_CREATED, workspace, ada.id),
        member_event(MEMBER_ADDED, member_state(workspace.id, ada, Role.OWNER), ada.id),
        project_event(PROJECT_CREATED, project, ada.id),
    )

    assert await db.row("SELECT name, slug, version FROM workspaces") == {
        "name": "Acme",
        "slug": workspace.slug,
        "version": 1,
    }
    member = await db.row("SELECT user_id, email, role, removed, version FROM members")
    assert member == {
        "user_id": ada.id,
        "email": ada.email,
        "role": "owner",
        "removed": False,
        "version": 1,
    }
    assert await db.row("SELECT key, workspace_id, deleted, version FROM projects") == {
        "key": "WEB",
        "workspace_id": workspace.id,
        "deleted": False,
        "version": 1,
    }
    board = await db.rows("SELECT id, category FROM statuses ORDER BY position")
    assert [(r["id"], r["category"]) for r in board] == [
        (s.id, s.category.value) for s in project.statuses or ()
    ]
    assert await db.events() == [], "keeping the replica emits nothing"


async def test_duplicates_and_older_versions_change_nothing(db: ReplicaDb, users: Users) -> None:
    ada = users("ada")
    workspace = workspace_state()
    project = project_state(workspace.id)
    review = status_of(project, Category.IN_REVIEW)
    renamed = project.model_copy(update={"name": "Renamed", "version": 3, "statuses": None})
    older = project.model_copy(update={"name": "Older", "version": 2, "statuses": None})
    removed = member_state(workspace.id, ada, version=2, removed=True)
    newer_review = review.model_copy(update={"name": "QA", "version": 3})

    await db.apply(
        project_event(PROJECT_CREATED, project, ada.id),
        project_event(PROJECT_UPDATED, renamed, ada.id),
        project_event(PROJECT_UPDATED, older, ada.id),
        project_event(PROJECT_UPDATED, renamed, ada.id),
        project_event(PROJECT_CREATED, project, ada.id),
        member_event(MEMBER_REMOVED, removed, ada.id),
        member_event(MEMBER_ADDED, member_state(workspace.id, ada), ada.id),
        status_event(STATUS_UPDATED, newer_review, ada.id),
        status_event(
            STATUS_UPDATED, review.model_copy(update={"name": "Old", "version": 2}), ACTOR
        ),
        workspace_event(WORKSPACE_UPDATED, workspace.model_copy(update={"version": 2}), ada.id),
        workspace_event(WORKSPACE_CREATED, workspace.model_copy(update={"name": "Old"}), ada.id),
    )

    assert await db.row("SELECT name, version FROM projects") == {"name": "Renamed", "version": 3}
    assert await db.row("SELECT removed, version FROM members") == {"removed": True, "version": 2}
    status = await db.row("SELECT name, version FROM statuses WHERE id = :id", id=review.id)
    assert status == {"name": "QA", "version": 3}
    assert await db.row("SELECT name, version FROM workspaces") == {"name": "Acme", "version": 2}


async def test_project_events_leave_this_services_sequences_alone(
    db: ReplicaDb, users: Users
) -> None:
    ada = users("ada")
    project = project_state(workspace_state().id)
    await db.apply(project_event(PROJECT_CREATED, project, ada.id))
    await db.execute("UPDATE projects SET last_number = 7, last_position = 42")

    archived = project.model_copy(update={"archived_at": NOW, "version": 2, "statuses": None})
    await db.apply(project_event(PROJECT_ARCHIVED, archived, ada.id))

    assert await db.row(
        "SELECT last_number, last_position, archived_at, version FROM projects"
    ) == {
        "last_number": 7,
        "last_position": 42,
        "archived_at": NOW,
        "version": 2,
    }


async def test_what_the_directory_serves_is_forgotten_at_commit(
    db: ReplicaDb, users: Users
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace = workspace_state()
    project = project_state(workspace.id)
    await db.apply(
        member_event(MEMBER_ADDED, member_state(workspace.id, bob), ada.id),
        project_event(PROJECT_CREATED, project, ada.id),
    )
    view = await db.directory.project(project.id)
    assert view is not None
    assert not view.archived
    assert await db.directory.member(workspace.id, bob.id) is not None

    review = status_of(project, Category.IN_REVIEW)
    archived = project.model_copy(update={"archived_at": NOW, "version": 2, "statuses": None})
    await db.apply(
        member_event(
            MEMBER_REMOVED, member_state(workspace.id, bob, version=2, removed=True), ada.id
        ),
        project_event(PROJECT_ARCHIVED, archived, ada.id),
        status_event(STATUS_UPDATED, review.model_copy(update={"name": "QA", "version": 2}), ACTOR),
    )

    assert await db.directory.member(workspace.id, bob.id) is None
    view = await db.directory.project(project.id)
    assert view is not None
    assert view.archived
    found = view.status(review.id)
    assert found is not None
    assert found.name == "QA"


async def test_the_aggregators_project_events_are_not_routed_here_and_ignored(
    db: ReplicaDb,
) -> None:
    project = project_state(workspace_state().id)
    assert "project.*" not in BINDINGS
    assert "project.progress_changed" not in BINDINGS
    assert {"workspace.created", "member.removed", "project.deleted", "status.deleted"} <= set(
        BINDINGS
    )
    progress = new_event(
        "project.progress_changed",
        producer="aggregator",
        subject=Subject(kind="project", id=project.id, version=9),
        data=Counts(total=1, todo=1),
        workspace_id=project.workspace_id,
        project_id=project.id,
    )

    await db.apply(progress)

    assert await db.rows("SELECT id FROM projects") == []
