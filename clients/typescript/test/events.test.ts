/** src/events.ts against docs/asyncapi.json: every event type, its producer and the state it
 * carries, each field and whether it is required. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type {
  Counts, DerivedStatusChange, Envelope, MemberState, ProjectState, Progress, StatusDeletedState, StatusState,
  Subject, TaskState, WorkspaceState,
} from "../src/events.js";
import { EVENT_TYPES } from "../src/events.js";

type Shape<T> = { [K in keyof T]-?: object extends Pick<T, K> ? "optional" : "required" };
const R = "required" as const;
const O = "optional" as const;

// Typed: each literal must say what the TypeScript type really declares.
const SHAPES: Record<string, Record<string, "required" | "optional">> = {
  Envelope: {
    id: R, type: R, schema: O, occurred_at: R, producer: R, workspace_id: O, project_id: O, subject: R,
    actor_id: O, data: R, changes: O, client_mutation_id: O,
  } satisfies Shape<Envelope>,
  Subject: { kind: R, id: R, version: R } satisfies Shape<Subject>,
  Counts: { total: O, todo: O, in_progress: O, in_review: O, issue: O, done: O, archived: O } as const,
  WorkspaceState: { id: R, name: R, slug: R, version: R, created_at: R, updated_at: R } satisfies Shape<WorkspaceState>,
  MemberState: {
    workspace_id: R, user_id: R, email: R, display_name: R, avatar_url: O, role: R, removed: O, version: R,
    created_at: R, updated_at: R,
  } satisfies Shape<MemberState>,
  StatusState: {
    id: R, project_id: R, workspace_id: R, name: R, category: R, position: R, version: R, deleted: O,
  } satisfies Shape<StatusState>,
  StatusDeletedState: {
    id: R, project_id: R, workspace_id: R, name: R, category: R, position: R, version: R, deleted: O, move_to: R,
  } satisfies Shape<StatusDeletedState>,
  ProjectState: {
    id: R, workspace_id: R, key: R, name: R, description: R, derived_status: R, counts: R, version: R,
    created_at: R, updated_at: R, archived_at: O, deleted: O, statuses: O,
  } satisfies Shape<ProjectState>,
  TaskState: {
    id: R, project_id: R, workspace_id: R, number: R, title: R, description: R, status_id: R, category: R,
    position: R, priority: R, assignee_id: O, reporter_id: R, due_date: O, archived_at: O, deleted: O,
    version: R, created_at: R, updated_at: R,
  } satisfies Shape<TaskState>,
  Progress: { counts: R, derived_status: R, counts_version: R } satisfies Shape<Progress>,
  DerivedStatusChange: { old: R, new: R, counts_version: R } satisfies Shape<DerivedStatusChange>,
};
// Counts: every field has a default in the contract, yet the producer always sends them all, so
// the TypeScript type requires them; only the names are compared.
const _counts: Record<keyof Counts, true> = {
  total: true, todo: true, in_progress: true, in_review: true, issue: true, done: true, archived: true,
};

interface Schema { properties: Record<string, unknown>; required?: string[] }
interface Message { payload: { allOf: [unknown, { properties: Record<string, { const?: string; $ref?: string }> }] } }
const catalogue = JSON.parse(readFileSync(new URL("../../../docs/asyncapi.json", import.meta.url), "utf8")) as {
  components: { schemas: Record<string, Schema>; messages: Record<string, Message> };
};
const schemaName = (ref: string | undefined) => (ref ?? "").split("/").pop() ?? "";

describe("the event types", () => {
  const messages = Object.values(catalogue.components.messages).map((m) => m.payload.allOf[1].properties);

  it("name every event type of the catalogue, and only those", () => {
    expect([...EVENT_TYPES].sort()).toEqual(messages.map((p) => p.type?.const).sort());
  });

  it("give each type the producer and the state the catalogue says", () => {
    const described = Object.fromEntries(messages.map((p) => [p.type?.const, [p.producer?.const, schemaName(p.data?.$ref)]]));
    const ours: Record<string, [string, string]> = {};
    for (const type of EVENT_TYPES) {
      const producer = type.startsWith("task.") ? "tasks" : /progress|derived/.test(type) ? "aggregator" : "projects";
      const state = type === "status.deleted" ? "StatusDeletedState"
        : type === "project.progress_changed" ? "Progress"
        : type === "project.derived_status_changed" ? "DerivedStatusChange"
        : `${type.split(".")[0]?.replace(/^./, (c) => c.toUpperCase())}State`;
      ours[type] = [producer, state];
    }
    expect(ours).toEqual(described);
  });

  it.each(Object.keys(SHAPES))("declare %s's fields as the catalogue does", (name) => {
    const schema = catalogue.components.schemas[name];
    if (!schema) throw new Error(`${name} is not in docs/asyncapi.json`);
    const required = new Set(schema.required ?? []);
    const theirs = Object.fromEntries(Object.keys(schema.properties).map((k) => [k, required.has(k) ? R : O]));
    expect(SHAPES[name]).toEqual(theirs);
    if (name === "Counts") expect(Object.keys(_counts).sort()).toEqual(Object.keys(theirs).sort());
  });
});
