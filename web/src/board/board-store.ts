import { describe, statusOf } from "../api/problem";
import type { Placement, Rest } from "../api/rest";
import { mutationId } from "../ids";
import { tell } from "../notice";
import { LiveStore } from "../live-store";
import type { TaskwireEvent } from "@taskwire/client";
import { fromEvent, type Member, type Priority, type Project, type Status, type Task } from "../types";
import { applyStatus, applyTask, type Pending, settle, TEMPORARY } from "./model";

// One project's board: loaded from REST, kept live by the project's room, written optimistically.
// Every write carries a fresh mutation id; the feed's event with that id, or the REST answer,
// whichever comes first, settles it (model.ts). A write that loses a race (412) reloads the task.

export interface BoardState {
  project: Project | null;
  statuses: Status[];
  tasks: Map<string, Task>;
  pending: Map<string, Pending>;
  members: Member[];
  loaded: boolean;
  revoked: boolean;
}

const RELOADED = "changed by someone else, reloaded";

export class BoardStore extends LiveStore<BoardState> {
  /** Writes to one task go one after another, each with the version the previous one left. */
  private chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly rest: Rest,
    readonly projectId: string,
  ) {
    super({ project: null, statuses: [], tasks: new Map(), pending: new Map(), members: [], loaded: false, revoked: false });
  }

  get room(): string {
    return `project:${this.projectId}`;
  }

  protected async fetch(): Promise<Partial<BoardState>> {
    const [project, tasks] = await Promise.all([this.rest.project(this.projectId), this.rest.tasks(this.projectId)]);
    const members = await this.rest.members(project.workspace_id).catch(() => this.state.get().members);
    const statuses = [...project.statuses].sort((a, b) => a.position - b.position);
    // A task held at a newer version than the snapshot's (a write's answer that came while it
    // was read) stays as held; the rest is the snapshot.
    const held = this.state.get().tasks;
    const found = new Map(tasks.map((t) => [t.id, (held.get(t.id)?.version ?? 0) > t.version ? held.get(t.id)! : t]));
    return { project, statuses, tasks: found, members, loaded: true };
  }

  protected loadFailed(error: unknown): void {
    if (statusOf(error) === 404 && this.state.get().loaded) this.revoke();
    else tell(describe(error), "error");
  }

  async refreshMembers(): Promise<void> {
    const project = this.state.get().project;
    if (project) this.patch({ members: await this.rest.members(project.workspace_id) });
  }

  revoke(): void {
    this.patch({ revoked: true, pending: new Map() }); // the page says why (Board.tsx)
  }

  protected apply(event: TaskwireEvent): void {
    const state = this.state.get();
    switch (event.type) {
      case "task.created":
      case "task.updated":
      case "task.moved":
      case "task.archived":
      case "task.restored":
      case "task.deleted":
        this.patch({ tasks: applyTask(state.tasks, fromEvent(event.data)), pending: settle(state.pending, event.client_mutation_id) });
        break;
      case "status.created":
      case "status.updated":
      case "status.deleted":
        this.patch({ statuses: applyStatus(state.statuses, event.data) });
        break;
      case "project.progress_changed":
        if (state.project) this.patch({ project: { ...state.project, counts: event.data.counts, derived_status: event.data.derived_status } });
        break;
      case "project.updated":
      case "project.archived":
      case "project.restored":
        if (state.project && event.data.version > state.project.version) {
          const { key, name, version } = event.data;
          this.patch({ project: { ...state.project, key, name, version, archived_at: event.data.archived_at ?? null } });
        }
        break;
    }
  }

  /** Runs `write` after the task's earlier writes, with its pending state shown meanwhile. */
  private write(taskId: string, optimistic: Omit<Pending, "mutationId">, send: (id: string, version: number) => Promise<Task>): Promise<void> {
    const state = this.state.get();
    if (state.revoked) return Promise.resolve();
    const id = mutationId();
    const pending = new Map(state.pending);
    pending.set(taskId, { ...optimistic, mutationId: id });
    this.patch({ pending });
    const run = async (): Promise<void> => {
      const held = this.state.get().tasks.get(taskId);
      try {
        const answer = await send(id, held?.version ?? optimistic.task.version);
        const now = this.state.get();
        this.patch({ tasks: applyTask(now.tasks, answer), pending: settle(now.pending, id) });
      } catch (error) {
        this.patch({ pending: settle(this.state.get().pending, id) });
        await this.failed(taskId, error);
      }
    };
    const chained = (this.chains.get(taskId) ?? Promise.resolve()).then(run);
    this.chains.set(taskId, chained);
    void chained.finally(() => {
      if (this.chains.get(taskId) === chained) this.chains.delete(taskId);
    });
    return chained;
  }

  private async failed(taskId: string, error: unknown): Promise<void> {
    if (statusOf(error) === 412) {
      tell(RELOADED);
      try {
        const fresh = await this.rest.task(taskId);
        this.patch({ tasks: applyTask(this.state.get().tasks, fresh) });
      } catch (again) {
        tell(describe(again), "error");
      }
      return;
    }
    tell(describe(error), "error");
  }

  move(task: Task, placement: Placement): Promise<void> {
    const status = this.state.get().statuses.find((s) => s.id === placement.status_id);
    const moved: Task = { ...task, status_id: placement.status_id, category: status?.category ?? task.category };
    return this.write(task.id, { task: moved, after: placement.after, before: placement.before }, (id, version) =>
      this.rest.moveTask(task.id, placement, { mutationId: id, ifMatch: version }),
    );
  }

  rename(task: Task, title: string): Promise<void> {
    return this.write(task.id, { task: { ...task, title } }, (id, version) =>
      this.rest.updateTask(task.id, { title }, { mutationId: id, ifMatch: version }),
    );
  }

  archive(task: Task): Promise<void> {
    const archivedAt = new Date().toISOString();
    return this.write(task.id, { task: { ...task, archived_at: archivedAt } }, (id, version) =>
      this.rest.archiveTask(task.id, { mutationId: id, ifMatch: version }),
    );
  }

  restore(task: Task): Promise<void> {
    return this.write(task.id, { task: { ...task, archived_at: null } }, (id, version) =>
      this.rest.restoreTask(task.id, { mutationId: id, ifMatch: version }),
    );
  }

  /** A new task, shown at once at the end of its column with a temporary id; the created
   * task takes its place when the answer or the event (same mutation id) arrives. */
  create(title: string, statusId: string, priority: Priority, assigneeId: string | null): Promise<void> {
    const state = this.state.get();
    const status = state.statuses.find((s) => s.id === statusId);
    if (!status || state.revoked) return Promise.resolve();
    const id = mutationId();
    const temporary = `${TEMPORARY}${id}`;
    const draft: Task = {
      id: temporary,
      project_id: this.projectId,
      number: 0,
      title,
      status_id: statusId,
      category: status.category,
      position: "0",
      priority,
      assignee_id: assigneeId,
      archived_at: null,
      version: 0,
    };
    const pending = new Map(state.pending);
    pending.set(temporary, { mutationId: id, task: draft });
    this.patch({ pending });
    return this.rest
      .createTask(this.projectId, { title, status_id: statusId, priority, assignee_id: assigneeId }, id)
      .then((task) => {
        const now = this.state.get();
        this.patch({ tasks: applyTask(now.tasks, task), pending: settle(now.pending, id) });
      })
      .catch((error: unknown) => {
        this.patch({ pending: settle(this.state.get().pending, id) });
        tell(describe(error), "error");
      });
  }
}
