import { href } from "../route";
import type { Category, Project } from "../types";

const CATEGORIES: Category[] = ["todo", "in_progress", "in_review", "issue", "done"];
export const CATEGORY_LABELS: Record<Category, string> = {
  todo: "To do",
  in_progress: "In progress",
  in_review: "In review",
  issue: "Issue",
  done: "Done",
};

/** One project: its derived status badge and its live counts per category. */
export function ProjectRow({ project }: { project: Project }) {
  const { counts } = project;
  return (
    <tr data-testid={`project-${project.key}`}>
      <td>
        <a href={href.board(project.id)} data-testid={`open-${project.key}`}>
          <strong>{project.key}</strong> {project.name}
        </a>
        {project.archived_at && <span class="muted"> (archived)</span>}
      </td>
      <td>
        <span class={`badge badge-${project.derived_status}`} data-testid={`project-${project.key}-status`} data-status={project.derived_status}>
          {CATEGORY_LABELS[project.derived_status]}
        </span>
      </td>
      <td
        class="counts"
        data-testid={`project-${project.key}-counts`}
        data-total={counts.total}
        {...Object.fromEntries(CATEGORIES.map((c) => [`data-${c.replace("_", "-")}`, counts[c]]))}
      >
        <span class="total">{counts.total} tasks</span>
        {CATEGORIES.filter((c) => counts[c] > 0).map((c) => (
          <span key={c} class={`chip chip-${c}`}>
            {CATEGORY_LABELS[c]} {counts[c]}
          </span>
        ))}
        {counts.archived > 0 && <span class="chip">archived {counts.archived}</span>}
      </td>
    </tr>
  );
}
