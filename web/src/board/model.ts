import type { Status, Task } from "../types";
import { compareRanks } from "./rank";

// The board's state without I/O: what the server has said (`tasks`, by version) and what this
// page has asked for and not yet heard back (`pending`, by task id; a create by its temporary
// id). What is shown is the first with the second laid over it, so a drag shows at once and the
// answer, arriving as the REST reply or as the feed's event with our mutation id, replaces it
// in place: the server put the task between the same neighbours.

export interface Pending {
  mutationId: string;
  task: Task; // the task as it will be once the write lands
  /** Where a move or a create puts it: after this task and/or before that one. */
  after?: string | undefined;
  before?: string | undefined;
}

export interface Column {
  status: Status;
  tasks: Task[];
}

export const TEMPORARY = "new:";

/** `tasks` with `incoming` applied if it is newer than what it holds (or unknown). A deleted
 * task stays as a tombstone so that an older event arriving late cannot bring it back. */
export function applyTask(tasks: ReadonlyMap<string, Task>, incoming: Task): Map<string, Task> {
  const held = tasks.get(incoming.id);
  const next = new Map(tasks);
  if (!held || held.version < incoming.version) next.set(incoming.id, incoming);
  return next;
}

/** `pending` without the entry made by `mutationId`, if any. */
export function settle(pending: ReadonlyMap<string, Pending>, mutationId: string | null | undefined): Map<string, Pending> {
  const next = new Map(pending);
  if (!mutationId) return next;
  for (const [id, entry] of pending) if (entry.mutationId === mutationId) next.delete(id);
  return next;
}

function visible(task: Task): boolean {
  return !task.deleted && task.archived_at === null;
}

function byRank(a: Task, b: Task): number {
  return compareRanks(a.position, b.position) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function place(list: Task[], entry: Pending): void {
  const after = entry.after ? list.findIndex((t) => t.id === entry.after) : -1;
  const before = entry.before ? list.findIndex((t) => t.id === entry.before) : -1;
  const at = after >= 0 ? after + 1 : before >= 0 ? before : list.length;
  list.splice(at, 0, entry.task);
}

/** The columns as shown: statuses in board order, live tasks in rank order, pending writes
 * laid over. */
export function columns(
  statuses: readonly Status[],
  tasks: ReadonlyMap<string, Task>,
  pending: ReadonlyMap<string, Pending>,
): Column[] {
  const placed = [...pending.values()].filter((p) => p.after !== undefined || p.before !== undefined || !tasks.has(p.task.id));
  const placedIds = new Set(placed.map((p) => p.task.id));
  const shown: Task[] = [];
  for (const task of tasks.values()) {
    if (placedIds.has(task.id)) continue;
    const overlay = pending.get(task.id);
    shown.push(overlay ? overlay.task : task);
  }
  return statuses.map((status) => {
    const list = shown.filter((t) => t.status_id === status.id && visible(t)).sort(byRank);
    for (const entry of placed) if (entry.task.status_id === status.id && visible(entry.task)) place(list, entry);
    return { status, tasks: list };
  });
}

/** Archived tasks (pending writes laid over), most recently archived first. */
export function archived(tasks: ReadonlyMap<string, Task>, pending: ReadonlyMap<string, Pending>): Task[] {
  const list: Task[] = [];
  for (const task of tasks.values()) {
    const shown = pending.get(task.id)?.task ?? task;
    if (!shown.deleted && shown.archived_at !== null) list.push(shown);
  }
  return list.sort((a, b) => (a.archived_at! < b.archived_at! ? 1 : -1));
}

/** The neighbours a task dropped at `index` of `column` gets (the column listed without it). */
export function neighbours(column: readonly Task[], taskId: string, index: number): { after?: string; before?: string } {
  const others = column.filter((t) => t.id !== taskId && !t.id.startsWith(TEMPORARY));
  const at = Math.max(0, Math.min(index, others.length));
  const after = others[at - 1]?.id;
  const before = others[at]?.id;
  return { ...(after ? { after } : {}), ...(before ? { before } : {}) };
}

/** Statuses kept by version, in board order, the deleted ones left out. */
export function applyStatus(statuses: readonly Status[], incoming: Status): Status[] {
  const held = statuses.find((s) => s.id === incoming.id);
  if (held && held.version >= incoming.version) return [...statuses];
  const rest = statuses.filter((s) => s.id !== incoming.id);
  if (!incoming.deleted) rest.push(incoming);
  return rest.sort((a, b) => a.position - b.position);
}
