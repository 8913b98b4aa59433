import { describe } from "../api/problem";
import type { Rest } from "../api/rest";
import { tell } from "../notice";
import { LiveStore } from "../live-store";
import type { Progress, TaskwireEvent } from "@taskwire/client";
import type { Project, Workspace } from "../types";

// A workspace's projects with their live counts and derived status, kept by the workspace's
// room: project lifecycle events by the project's version, progress by the counts' version.

export interface ProjectsState {
  workspace: Workspace | null;
  projects: Map<string, Project>;
  countsVersions: Map<string, number>;
  loaded: boolean;
  revoked: boolean;
}

export class ProjectsStore extends LiveStore<ProjectsState> {
  constructor(
    private readonly rest: Rest,
    readonly workspaceId: string,
  ) {
    super({ workspace: null, projects: new Map(), countsVersions: new Map(), loaded: false, revoked: false });
  }

  get room(): string {
    return `workspace:${this.workspaceId}`;
  }

  protected async fetch(): Promise<Partial<ProjectsState>> {
    const [workspace, projects] = await Promise.all([this.rest.workspace(this.workspaceId), this.rest.projects(this.workspaceId)]);
    return { workspace, projects: new Map(projects.map((p) => [p.id, p])), countsVersions: new Map(), loaded: true };
  }

  protected loadFailed(error: unknown): void {
    tell(describe(error), "error");
  }

  revoke(): void {
    this.patch({ revoked: true });
  }

  async create(key: string, name: string): Promise<Project | null> {
    try {
      const project = await this.rest.createProject(this.workspaceId, key, name);
      this.applyProject(project);
      return project;
    } catch (error) {
      tell(describe(error), "error");
      return null;
    }
  }

  private applyProject(project: Project): void {
    const projects = new Map(this.state.get().projects);
    const held = projects.get(project.id);
    if (held && held.version >= project.version) return;
    if (project.deleted) projects.delete(project.id);
    // A project event's counts are as old as the project's version; the room's progress events
    // keep them apart, so the newer counts held stay.
    else projects.set(project.id, held ? { ...project, counts: held.counts, derived_status: held.derived_status } : project);
    this.patch({ projects });
  }

  private applyProgress(projectId: string, progress: Progress): void {
    const state = this.state.get();
    const held = state.projects.get(projectId);
    if (!held || (state.countsVersions.get(projectId) ?? 0) >= progress.counts_version) return;
    const projects = new Map(state.projects);
    projects.set(projectId, { ...held, counts: progress.counts, derived_status: progress.derived_status });
    const countsVersions = new Map(state.countsVersions);
    countsVersions.set(projectId, progress.counts_version);
    this.patch({ projects, countsVersions });
  }

  protected apply(event: TaskwireEvent): void {
    switch (event.type) {
      case "project.progress_changed":
        this.applyProgress(event.subject.id, event.data);
        break;
      case "project.created":
      case "project.updated":
      case "project.archived":
      case "project.restored":
      case "project.deleted":
        this.applyProject({ ...event.data, archived_at: event.data.archived_at ?? null });
        break;
      case "workspace.updated": {
        const workspace = this.state.get().workspace;
        if (workspace && event.data.version > workspace.version) this.patch({ workspace: { ...workspace, name: event.data.name, slug: event.data.slug, version: event.data.version } });
        break;
      }
    }
  }
}
