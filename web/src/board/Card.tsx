import { useEffect, useRef, useState } from "preact/hooks";
import type { Task } from "../types";
import { TEMPORARY } from "./model";

export interface CardActions {
  rename(task: Task, title: string): void;
  archive(task: Task): void;
  keyboardMove(task: Task, columns: number, places: number): void;
  dragStart(task: Task): void;
  dragEnd(): void;
}

const KEYS: Record<string, [number, number]> = {
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
};

/** One task: number, title (edited in place), priority, assignee. Dragged with the mouse, or
 * moved with Alt+Arrow keys once focused; Enter edits the title. */
export function Card(props: { task: Task; projectKey: string; assignee: string | null; disabled: boolean; actions: CardActions }) {
  const { task, projectKey, assignee, disabled, actions } = props;
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(task.title);
  const input = useRef<HTMLInputElement>(null);
  const saving = task.id.startsWith(TEMPORARY);
  const label = `${task.number ? `${projectKey}-${task.number}` : "new task"}: ${task.title}`;

  useEffect(() => {
    if (editing) input.current?.select();
  }, [editing]);

  const open = useRef(false); // blur after Enter must not save twice
  const edit = (on: boolean): void => {
    open.current = on;
    setEditing(on);
  };

  const save = (): void => {
    if (!open.current) return;
    edit(false);
    const next = title.trim();
    if (next && next !== task.title) actions.rename(task, next);
    else setTitle(task.title);
  };

  const onKeyDown = (e: KeyboardEvent): void => {
    if (editing || disabled || saving || e.target !== e.currentTarget) return;
    const move = KEYS[e.key];
    if (move && e.altKey) {
      e.preventDefault();
      actions.keyboardMove(task, move[0], move[1]);
    } else if (e.key === "Enter" || e.key === "F2") {
      e.preventDefault();
      setTitle(task.title);
      edit(true);
    }
  };

  return (
    <li
      class={`card priority-${task.priority}${saving ? " saving" : ""}`}
      data-testid={task.number ? `card-${task.number}` : "card-new"}
      data-task-id={task.id}
      data-card=""
      tabIndex={0}
      draggable={!disabled && !saving && !editing}
      aria-label={`${label}. Priority ${task.priority}. ${assignee ? `Assigned to ${assignee}` : "Unassigned"}. Alt+Arrow keys move it, Enter edits the title.`}
      aria-roledescription="task card"
      onKeyDown={onKeyDown}
      onDragStart={(e) => {
        e.dataTransfer?.setData("text/plain", task.id);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
        actions.dragStart(task);
      }}
      onDragEnd={actions.dragEnd}
    >
      <div class="card-head">
        <span class="number">{task.number ? `${projectKey}-${task.number}` : "…"}</span>
        {task.priority !== "none" && <span class={`priority priority-${task.priority}`}>{task.priority}</span>}
        {!disabled && !saving && (
          <button type="button" class="link archive" onClick={() => actions.archive(task)} aria-label={`Archive ${label}`} data-testid={`archive-${task.number}`}>
            Archive
          </button>
        )}
      </div>
      {editing ? (
        <input
          ref={input}
          class="title-input"
          value={title}
          aria-label="Title"
          data-testid={`title-input-${task.number}`}
          onInput={(e) => setTitle(e.currentTarget.value)}
          onBlur={save}
          onKeyDown={(e) => {
            if (e.key === "Enter") save();
            if (e.key === "Escape") {
              setTitle(task.title);
              edit(false);
            }
          }}
        />
      ) : (
        <p class="title" data-testid={`title-${task.number}`} onDblClick={() => {
            if (disabled || saving) return;
            setTitle(task.title);
            edit(true);
          }}>
          {task.title}
        </p>
      )}
      <div class="assignee muted">{assignee ?? "Unassigned"}</div>
    </li>
  );
}
