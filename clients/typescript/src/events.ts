/**
 * The events of docs/asyncapi.json as TypeScript: one envelope, its `type` telling which
 * state `data` holds. test/events.test.ts holds this file to the catalogue.
 */

export type Category = "todo" | "in_progress" | "in_review" | "issue" | "done";
export type Priority = "none" | "low" | "medium" | "high" | "urgent";
export type Role = "owner" | "admin" | "member" | "viewer";

export interface Counts {
  total: number; todo: number; in_progress: number; in_review: number; issue: number; done: number; archived: number;
}

export interface WorkspaceState {
  id: string; name: string; slug: string; version: number; created_at: string; updated_at: string;
}

export interface MemberState {
  workspace_id: string; user_id: string; email: string; display_name: string; avatar_url?: string | null;
  role: Role; removed?: boolean; version: number; created_at: string; updated_at: string;
}

export interface StatusState {
  id: string; project_id: string; workspace_id: string; name: string; category: Category;
  position: number; version: number; deleted?: boolean;
}

/** status.deleted: `move_to` is the status of the same project that takes its tasks. */
export interface StatusDeletedState extends StatusState {
  move_to: string;
}

export interface ProjectState {
  id: string; workspace_id: string; key: string; name: string; description: string;
  derived_status: Category; counts: Counts; version: number; created_at: string; updated_at: string;
  archived_at?: string | null; deleted?: boolean;
  /** the project's statuses in board order; present on project.created */
  statuses?: StatusState[] | null;
}

export interface TaskState {
  id: string; project_id: string; workspace_id: string;
  /** per-project sequence; shown as <project key>-<number> */
  number: number;
  title: string; description: string; status_id: string;
  /** the status's category when the change was made */
  category: Category;
  /** fractional rank within the status, a decimal string: compare numerically */
  position: string;
  priority: Priority; assignee_id?: string | null; reporter_id: string; due_date?: string | null;
  archived_at?: string | null; deleted?: boolean; version: number; created_at: string; updated_at: string;
}

/** project.progress_changed: the counts after a batch, and the status derived from them. */
export interface Progress { counts: Counts; derived_status: Category; counts_version: number }

/** project.derived_status_changed: the derived status moved from `old` to `new`. */
export interface DerivedStatusChange { old: Category; new: Category; counts_version: number }

export interface Subject { kind: string; id: string; version: number }

export type Producer = "projects" | "tasks" | "aggregator";

/** What every event carries; consumers ignore fields they do not know. */
export interface Envelope<Type extends string = string, Data = Record<string, unknown>, From extends Producer = Producer> {
  id: string;
  type: Type;
  /** the envelope's version, 1 today */
  schema?: number;
  occurred_at: string;
  producer: From;
  workspace_id?: string | null;
  project_id?: string | null;
  subject: Subject;
  actor_id?: string | null;
  /** the subject's full state after the change */
  data: Data;
  /** the fields that changed, each as [old, new] */
  changes?: Record<string, [unknown, unknown] | unknown[]>;
  /** the X-Client-Mutation-Id of the request that made the change (null without one) */
  client_mutation_id?: string | null;
}

/** Each event type and the state its `data` holds. */
export interface EventData {
  "workspace.created": WorkspaceState;
  "workspace.updated": WorkspaceState;
  "member.added": MemberState;
  "member.updated": MemberState;
  "member.removed": MemberState;
  "project.created": ProjectState;
  "project.updated": ProjectState;
  "project.archived": ProjectState;
  "project.restored": ProjectState;
  "project.deleted": ProjectState;
  "project.progress_changed": Progress;
  "project.derived_status_changed": DerivedStatusChange;
  "status.created": StatusState;
  "status.updated": StatusState;
  "status.deleted": StatusDeletedState;
  "task.created": TaskState;
  "task.updated": TaskState;
  "task.moved": TaskState;
  "task.archived": TaskState;
  "task.restored": TaskState;
  "task.deleted": TaskState;
}

export type EventType = keyof EventData;
type ProducerOf<T extends EventType> = T extends `task.${string}`
  ? "tasks"
  : T extends "project.progress_changed" | "project.derived_status_changed" ? "aggregator" : "projects";

/** One event, discriminated on `type`: `if (e.type === "task.moved") e.data.status_id`. */
export type TaskwireEvent = { [T in EventType]: Envelope<T, EventData[T], ProducerOf<T>> }[EventType];
export type EventOf<T extends EventType> = Extract<TaskwireEvent, { type: T }>;

export const EVENT_TYPES: readonly EventType[] = [
  "workspace.created", "workspace.updated", "member.added", "member.updated", "member.removed",
  "project.created", "project.updated", "project.archived", "project.restored", "project.deleted",
  "project.progress_changed", "project.derived_status_changed",
  "status.created", "status.updated", "status.deleted",
  "task.created", "task.updated", "task.moved", "task.archived", "task.restored", "task.deleted",
];
