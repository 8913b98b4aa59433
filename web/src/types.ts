// The resources the board shows, as the REST API answers them (docs/design.md, section 6) and
// as the feed's events carry them (docs/asyncapi.json). Only the fields the board reads.

export type Category = "todo" | "in_progress" | "in_review" | "issue" | "done";
export type Priority = "none" | "low" | "medium" | "high" | "urgent";
export type Role = "viewer" | "member" | "admin" | "owner";

export interface Counts {
  total: number;
  todo: number;
  in_progress: number;
  in_review: number;
  issue: number;
  done: number;
  archived: number;
}

export interface Workspace {
  id: string;
  name: string;
  slug: string;
  role: Role;
  version: number;
}

export interface Member {
  workspace_id: string;
  user_id: string;
  email: string;
  display_name: string;
  role: Role;
  removed?: boolean;
  version: number;
}

export interface Status {
  id: string;
  project_id: string;
  name: string;
  category: Category;
  position: number;
  deleted?: boolean;
  version: number;
}

export interface Project {
  id: string;
  workspace_id: string;
  key: string;
  name: string;
  archived_at: string | null;
  deleted?: boolean;
  derived_status: Category;
  counts: Counts;
  version: number;
  statuses?: Status[] | null;
}

/** A task as the board holds it: the REST shape and the event shape both fold into this. */
export interface Task {
  id: string;
  project_id: string;
  number: number;
  title: string;
  status_id: string;
  category: Category;
  position: string;
  priority: Priority;
  assignee_id: string | null;
  archived_at: string | null;
  deleted?: boolean;
  version: number;
}

/** The event envelope's fields the board reads. */
export interface Envelope {
  id: string;
  type: string;
  subject: { kind: string; id: string; version: number };
  project_id?: string | null;
  workspace_id?: string | null;
  actor_id?: string | null;
  client_mutation_id?: string | null;
  data: Record<string, unknown>;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
}
