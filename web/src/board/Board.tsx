import { useMemo, useState } from "preact/hooks";
import { href } from "../route";
import { useRoom } from "../room";
import { useSession } from "../session-context";
import { useObservable } from "../store";
import { REVOKED } from "../notice";
import type { Task } from "../types";
import { Presence } from "../ui/Presence";
import { Archived } from "./Archived";
import { BoardStore } from "./board-store";
import type { CardActions } from "./Card";
import { Column } from "./Column";
import { archived, columns, neighbours, TEMPORARY } from "./model";
import { NewTask } from "./NewTask";

function focusCard(id: string): void {
  requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-task-id="${id}"]`)?.focus());
}

/** A project's board: a column per status, live, written optimistically (board-store.ts). */
export function Board({ projectId }: { projectId: string }) {
  const session = useSession();
  const store = useMemo(() => new BoardStore(session.rest, projectId), [session.rest, projectId]);
  useRoom(session.live, store);
  const state = useObservable(store.state);
  const [dragged, setDragged] = useState<Task | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const shown = columns(state.statuses, state.tasks, state.pending);
  const names = new Map(state.members.map((m) => [m.user_id, m.display_name]));
  const key = state.project?.key ?? "";
  const disabled = state.revoked;

  const moveTo = (task: Task, columnIndex: number, index: number): void => {
    const column = shown[columnIndex];
    if (!column) return;
    const placement = { status_id: column.status.id, ...neighbours(column.tasks, task.id, index) };
    void store.move(task, placement);
    const size = column.tasks.filter((t) => t.id !== task.id).length + 1;
    setAnnouncement(`${key}-${task.number} moved to ${column.status.name}, position ${Math.min(index, size - 1) + 1} of ${size}`);
  };

  const actions: CardActions = {
    rename: (task, title) => void store.rename(task, title),
    archive: (task) => void store.archive(task),
    dragStart: (task) => setDragged(task),
    dragEnd: () => setDragged(null),
    keyboardMove: (task, dx, dy) => {
      const from = shown.findIndex((c) => c.tasks.some((t) => t.id === task.id));
      const at = shown[from]?.tasks.findIndex((t) => t.id === task.id) ?? -1;
      if (from < 0 || at < 0) return;
      const to = from + dx;
      if (to < 0 || to >= shown.length) return;
      const index = dx === 0 ? at + dy : Math.min(at, shown[to]!.tasks.length);
      if (dx === 0 && (index < 0 || index >= shown[from]!.tasks.length)) return;
      moveTo(task, to, index);
      focusCard(task.id);
    },
  };

  const onDrop = (taskId: string, statusId: string, index: number): void => {
    setDragged(null);
    const to = shown.findIndex((c) => c.status.id === statusId);
    const from = shown.find((c) => c.tasks.some((t) => t.id === taskId));
    const task = from?.tasks.find((t) => t.id === taskId);
    if (!from || !task || task.id.startsWith(TEMPORARY)) return;
    // Dropped where it was (its index among the others is its own): nothing to write.
    const unchanged = from.status.id === statusId && from.tasks.findIndex((t) => t.id === taskId) === index;
    if (!unchanged) moveTo(task, to, index);
  };

  return (
    <main class="board-page">
      <header class="board-head">
        <p class="crumbs">
          <a href={href.workspaces()}>Workspaces</a>
          {state.project && (
            <>
              {" / "}
              <a href={href.projects(state.project.workspace_id)} data-testid="back-to-projects">
                Projects
              </a>
            </>
          )}
        </p>
        <h1>
          {state.project ? (
            <>
              <span class="number">{state.project.key}</span> {state.project.name}
            </>
          ) : (
            "Board"
          )}
        </h1>
        <Presence live={session.live} room={store.room} me={session.identity.userId} members={state.members} paused={disabled} onUnknown={() => void store.refreshMembers().catch(() => undefined)} />
      </header>
      {disabled && (
        <p class="notice notice-error" role="alert" data-testid="revoked">
          {REVOKED}
        </p>
      )}
      <NewTask statuses={state.statuses} members={state.members} disabled={disabled || !state.loaded} onCreate={(...args) => void store.create(...args)} />
      <p class="hint muted">Drag a card, or focus it and press Alt+Arrow keys to move it; Enter edits its title.</p>
      <div class="board" data-testid="board" data-loaded={state.loaded ? "true" : "false"}>
        {shown.map((column) => (
          <Column key={column.status.id} column={column} projectKey={key} names={names} dragged={dragged} disabled={disabled} actions={actions} onDrop={onDrop} />
        ))}
      </div>
      <Archived tasks={archived(state.tasks, state.pending)} projectKey={key} disabled={disabled} onRestore={(task) => void store.restore(task)} />
      <div class="visually-hidden" aria-live="assertive" data-testid="announcement">
        {announcement}
      </div>
    </main>
  );
}
