// The resources the board shows: the event catalogue's types from the client library, and the
// few shapes the board holds itself, as both REST answers and events fold into them.
import type { Category, Counts, MemberState, Priority, ProjectState, Role, StatusState, TaskState } from "@taskwire/client";

export type { Category, Counts, Priority, Role };

export interface Workspace {
  id: string;
  name: string;
  slug: string;
  role: Role;
  version: number;
}

export type Member = Pick<MemberState, "workspace_id" | "user_id" | "email" | "display_name" | "role" | "version" | "removed">;

export type Status = Pick<StatusState, "id" | "project_id" | "name" | "category" | "position" | "version" | "deleted">;

export interface Project extends Pick<ProjectState, "id" | "workspace_id" | "key" | "name" | "derived_status" | "counts" | "version" | "deleted"> {
  archived_at: string | null;
}

/** A task as the board holds it (REST gives the assignee as a profile, events by its id). */
export interface Task
  extends Pick<TaskState, "id" | "project_id" | "number" | "title" | "status_id" | "category" | "position" | "priority" | "version" | "deleted"> {
  assignee_id: string | null;
  archived_at: string | null;
}

/** A task event's state as the board holds it. */
export function fromEvent(state: TaskState): Task {
  const { id, project_id, number, title, status_id, category, position, priority, version, deleted } = state;
  const task: Task = { id, project_id, number, title, status_id, category, position, priority, version, assignee_id: state.assignee_id ?? null, archived_at: state.archived_at ?? null };
  return deleted ? { ...task, deleted } : task;
}
