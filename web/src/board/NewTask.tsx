import { useEffect, useState } from "preact/hooks";
import type { Member, Priority, Status } from "../types";

const PRIORITIES: Priority[] = ["none", "low", "medium", "high", "urgent"];

/** A new task: title, column, priority and assignee. */
export function NewTask(props: { statuses: Status[]; members: Member[]; disabled: boolean; onCreate(title: string, statusId: string, priority: Priority, assigneeId: string | null): void }) {
  const { statuses, members, disabled, onCreate } = props;
  const [title, setTitle] = useState("");
  const [statusId, setStatusId] = useState("");
  const [priority, setPriority] = useState<Priority>("none");
  const [assignee, setAssignee] = useState("");

  useEffect(() => {
    if (!statuses.some((s) => s.id === statusId)) setStatusId(statuses[0]?.id ?? "");
  }, [statuses, statusId]);

  const submit = (e: Event): void => {
    e.preventDefault();
    if (!title.trim() || !statusId) return;
    onCreate(title.trim(), statusId, priority, assignee || null);
    setTitle("");
  };

  return (
    <form class="inline new-task" onSubmit={submit} data-testid="new-task">
      <input required placeholder="New task title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} aria-label="New task title" data-testid="new-task-title" disabled={disabled} maxLength={500} />
      <select value={statusId} onChange={(e) => setStatusId(e.currentTarget.value)} aria-label="Column" data-testid="new-task-status" disabled={disabled}>
        {statuses.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      <select value={priority} onChange={(e) => setPriority(e.currentTarget.value as Priority)} aria-label="Priority" data-testid="new-task-priority" disabled={disabled}>
        {PRIORITIES.map((p) => (
          <option key={p} value={p}>
            {p === "none" ? "No priority" : p}
          </option>
        ))}
      </select>
      <select value={assignee} onChange={(e) => setAssignee(e.currentTarget.value)} aria-label="Assignee" data-testid="new-task-assignee" disabled={disabled}>
        <option value="">Unassigned</option>
        {members.map((m) => (
          <option key={m.user_id} value={m.user_id}>
            {m.display_name}
          </option>
        ))}
      </select>
      <button type="submit" disabled={disabled} data-testid="new-task-submit">
        Add task
      </button>
    </form>
  );
}
