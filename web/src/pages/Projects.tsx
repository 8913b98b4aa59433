import { useMemo, useState } from "preact/hooks";
import { href } from "../route";
import { useRoom } from "../room";
import { useSession } from "../session-context";
import { useObservable } from "../store";
import { REVOKED } from "../notice";
import { AddMember } from "./AddMember";
import { ProjectRow } from "./ProjectRow";
import { ProjectsStore } from "./projects-store";

/** A workspace's projects with live counts and derived status (room workspace:<id>). */
export function Projects({ workspaceId }: { workspaceId: string }) {
  const session = useSession();
  const store = useMemo(() => new ProjectsStore(session.rest, workspaceId), [session.rest, workspaceId]);
  useRoom(session.live, store);
  const state = useObservable(store.state);
  const [key, setKey] = useState("");
  const [name, setName] = useState("");
  const projects = [...state.projects.values()].sort((a, b) => a.key.localeCompare(b.key));

  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (await store.create(key.trim().toUpperCase(), name.trim())) {
      setKey("");
      setName("");
    }
  };

  return (
    <main class="page">
      <p class="crumbs">
        <a href={href.workspaces()}>Workspaces</a> / {state.workspace?.name ?? "…"}
      </p>
      <h1>{state.workspace?.name ?? "Projects"}</h1>
      {state.revoked && (
        <p class="notice notice-error" role="alert" data-testid="revoked">
          {REVOKED}
        </p>
      )}
      <table class="projects" data-testid="projects">
        <thead>
          <tr>
            <th>Project</th>
            <th>Status</th>
            <th>Tasks</th>
          </tr>
        </thead>
        <tbody>
          {projects.map((p) => (
            <ProjectRow key={p.id} project={p} />
          ))}
        </tbody>
      </table>
      {state.loaded && projects.length === 0 && <p class="muted">No project yet.</p>}
      <form class="inline" onSubmit={create}>
        <input required pattern="[A-Za-z][A-Za-z0-9]{1,9}" placeholder="KEY" value={key} onInput={(e) => setKey(e.currentTarget.value)} aria-label="Project key" data-testid="new-project-key" size={8} />
        <input required placeholder="Project name" value={name} onInput={(e) => setName(e.currentTarget.value)} aria-label="Project name" data-testid="new-project-name" />
        <button type="submit">Create project</button>
      </form>
      <AddMember workspaceId={workspaceId} />
    </main>
  );
}
