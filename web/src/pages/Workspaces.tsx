import { useEffect, useState } from "preact/hooks";
import { describe } from "../api/problem";
import { tell } from "../notice";
import { href } from "../route";
import { useSession } from "../session-context";
import type { Workspace } from "../types";

/** The workspaces the signed-in person is a member of, and a form to make one. */
export function Workspaces() {
  const { rest } = useSession();
  const [workspaces, setWorkspaces] = useState<Workspace[] | null>(null);
  const [name, setName] = useState("");

  useEffect(() => {
    rest.workspaces().then(setWorkspaces, (error: unknown) => tell(describe(error), "error"));
  }, [rest]);

  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      const made = await rest.createWorkspace(name.trim());
      setName("");
      location.hash = href.projects(made.id);
    } catch (error) {
      tell(describe(error), "error");
    }
  };

  return (
    <main class="page">
      <h1>Workspaces</h1>
      {workspaces === null ? (
        <p class="muted">Loading…</p>
      ) : workspaces.length === 0 ? (
        <p class="muted">No workspace yet: make one, or ask to be added to one.</p>
      ) : (
        <ul class="list" data-testid="workspaces">
          {workspaces.map((w) => (
            <li key={w.id}>
              <a href={href.projects(w.id)} data-testid={`workspace-${w.slug}`}>
                {w.name}
              </a>{" "}
              <span class="muted">{w.role}</span>
            </li>
          ))}
        </ul>
      )}
      <form class="inline" onSubmit={create}>
        <input required placeholder="New workspace name" value={name} onInput={(e) => setName(e.currentTarget.value)} data-testid="new-workspace-name" aria-label="New workspace name" />
        <button type="submit">Create workspace</button>
      </form>
    </main>
  );
}
