import { describe, expect, it } from "vitest";
import type { Status, Task } from "../types";
import { applyTask, columns, neighbours, type Pending, settle, TEMPORARY } from "./model";

const todo: Status = { id: "s1", project_id: "p", name: "Todo", category: "todo", position: 0, version: 1 };
const done: Status = { id: "s2", project_id: "p", name: "Done", category: "done", position: 1, version: 1 };

function task(id: string, position: string, status = todo, version = 1): Task {
  return { id, project_id: "p", number: Number(id.slice(1)), title: id, status_id: status.id, category: status.category, position, priority: "none", assignee_id: null, archived_at: null, version };
}

const ids = (tasks: Task[]): string[] => tasks.map((t) => t.id);

describe("applyTask", () => {
  it("keeps the newer version, and a tombstone against an older event", () => {
    let tasks = applyTask(new Map(), task("t1", "1", todo, 2));
    tasks = applyTask(tasks, task("t1", "5", todo, 1));
    expect(tasks.get("t1")?.position).toBe("1");
    tasks = applyTask(tasks, { ...task("t1", "1", todo, 3), deleted: true });
    tasks = applyTask(tasks, task("t1", "1", todo, 2));
    expect(columns([todo], tasks, new Map())[0]?.tasks).toEqual([]);
  });
});

describe("columns", () => {
  const tasks = new Map([task("t1", "1"), task("t2", "2"), task("t3", "3"), task("t4", "1", done)].map((t) => [t.id, t]));

  it("lists each status's live tasks in rank order", () => {
    const shown = columns([todo, done], tasks, new Map());
    expect(shown.map((c) => ids(c.tasks))).toEqual([["t1", "t2", "t3"], ["t4"]]);
  });

  it("shows a pending move at once between the neighbours it asked for", () => {
    const moving: Pending = { mutationId: "m", task: { ...task("t3", "3"), status_id: done.id }, before: "t4" };
    const shown = columns([todo, done], tasks, new Map([["t3", moving]]));
    expect(shown.map((c) => ids(c.tasks))).toEqual([["t1", "t2"], ["t3", "t4"]]);
  });

  it("replaces a pending create by the task once it is settled: never both", () => {
    const draft = `${TEMPORARY}m1`;
    const pending = new Map([[draft, { mutationId: "m1", task: { ...task("t9", "0"), id: draft } }]]);
    expect(ids(columns([todo], tasks, pending)[0]!.tasks)).toEqual(["t1", "t2", "t3", draft]);
    const created = applyTask(tasks, task("t9", "4"));
    expect(ids(columns([todo], created, settle(pending, "m1"))[0]!.tasks)).toEqual(["t1", "t2", "t3", "t9"]);
  });
});

describe("neighbours", () => {
  const column = [task("t1", "1"), task("t2", "2"), task("t3", "3")];

  it("names the task above and the task below the drop", () => {
    expect(neighbours(column, "t3", 0)).toEqual({ before: "t1" });
    expect(neighbours(column, "t3", 1)).toEqual({ after: "t1", before: "t2" });
    expect(neighbours(column, "t1", 2)).toEqual({ after: "t3" });
    expect(neighbours([], "t1", 0)).toEqual({});
  });
});
