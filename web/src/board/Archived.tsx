import type { Task } from "../types";

/** Archived tasks, each with a way back to its column. */
export function Archived(props: { tasks: Task[]; projectKey: string; disabled: boolean; onRestore(task: Task): void }) {
  const { tasks, projectKey, disabled, onRestore } = props;
  return (
    <details class="archived" data-testid="archived">
      <summary>Archived ({tasks.length})</summary>
      <ul class="list">
        {tasks.map((task) => (
          <li key={task.id} data-testid={`archived-${task.number}`}>
            <span class="number">
              {projectKey}-{task.number}
            </span>{" "}
            {task.title}{" "}
            <button type="button" class="link" disabled={disabled} onClick={() => onRestore(task)} data-testid={`restore-${task.number}`}>
              Restore
            </button>
          </li>
        ))}
      </ul>
    </details>
  );
}
