import { useState } from "preact/hooks";
import type { Task } from "../types";
import { Card, type CardActions } from "./Card";
import { type Column as ColumnData, TEMPORARY } from "./model";

/** Where in the list a drop at `y` lands: the number of other cards whose middle is above it
 * (cards still being created have no place yet and do not count). */
function dropIndex(list: HTMLElement, y: number, dragged: string | null): number {
  let index = 0;
  for (const card of list.querySelectorAll<HTMLElement>("[data-card]")) {
    if (card.dataset.taskId === dragged || card.dataset.taskId?.startsWith(TEMPORARY)) continue;
    const box = card.getBoundingClientRect();
    if (box.top + box.height / 2 < y) index += 1;
  }
  return index;
}

/** One status: its cards in rank order; cards are dropped into it at the pointer's place. */
export function Column(props: {
  column: ColumnData;
  projectKey: string;
  names: Map<string, string>;
  dragged: Task | null;
  disabled: boolean;
  actions: CardActions;
  onDrop(taskId: string, statusId: string, index: number): void;
}) {
  const { column, projectKey, names, dragged, disabled, actions, onDrop } = props;
  const [over, setOver] = useState<number | null>(null);
  const { status, tasks } = column;
  const listId = `column-list-${status.id}`;

  // A card of this page is being dragged (its id travels in the drag data too).
  const carrying = (e: DragEvent): boolean => !disabled && (dragged !== null || (e.dataTransfer?.types.includes("text/plain") ?? false));

  const onDragOver = (e: DragEvent): void => {
    if (!carrying(e)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
    setOver(dropIndex(e.currentTarget as HTMLElement, e.clientY, dragged?.id ?? null));
  };

  const drop = (e: DragEvent): void => {
    if (!carrying(e)) return;
    e.preventDefault();
    setOver(null);
    const taskId = e.dataTransfer?.getData("text/plain") || dragged?.id;
    if (taskId) onDrop(taskId, status.id, dropIndex(e.currentTarget as HTMLElement, e.clientY, taskId));
  };

  const others = dragged ? tasks.filter((t) => t.id !== dragged.id) : tasks;
  return (
    <section class={`column category-${status.category}`} data-testid={`column-${status.name}`} data-status-id={status.id} aria-labelledby={`${listId}-name`}>
      <h2 id={`${listId}-name`}>
        {status.name} <span class="muted count">{tasks.length}</span>
      </h2>
      <ol
        class={`cards${over !== null ? " drop-target" : ""}`}
        id={listId}
        aria-label={`${status.name} tasks`}
        onDragOver={onDragOver}
        onDragLeave={(e) => {
          if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node | null)) setOver(null);
        }}
        onDrop={drop}
      >
        {tasks.flatMap((task) => {
          const card = <Card key={task.id} task={task} projectKey={projectKey} assignee={task.assignee_id ? (names.get(task.assignee_id) ?? "Someone") : null} disabled={disabled} actions={actions} />;
          return over !== null && others.indexOf(task) === over ? [<li class="drop-marker" aria-hidden="true" key="marker" />, card] : [card];
        })}
        {over !== null && over >= others.length && <li class="drop-marker" aria-hidden="true" />}
      </ol>
    </section>
  );
}
