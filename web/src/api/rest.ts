import { createTaskwire, type Taskwire } from "@taskwire/client";
import type { Counts, Member, Priority, Project, Status, Task, Workspace } from "../types";

// Every REST call the board makes, through the typed client (@taskwire/client), on the page's
// own origin (the gateway serves both). Failures throw the client's ProblemError.

/** A task as REST answers it: the assignee as a profile, where events carry only its id. */
interface TaskAnswer extends Omit<Task, "assignee_id"> {
  assignee: { id: string } | null;
}

export interface Write {
  mutationId: string;
  ifMatch?: number;
}

export interface Placement {
  status_id: string;
  after?: string;
  before?: string;
}

export interface NewTask extends Partial<Placement> {
  title: string;
  priority?: Priority;
  assignee_id?: string | null;
}

export interface DevToken {
  token: string;
  user_id: string;
  expires_at: string;
}

export function toTask(answer: TaskAnswer): Task {
  const { assignee, ...rest } = answer;
  return { ...rest, assignee_id: assignee?.id ?? null };
}

const NO_COUNTS: Counts = { total: 0, todo: 0, in_progress: 0, in_review: 0, issue: 0, done: 0, archived: 0 };

/** A project with every count present (the API leaves out the ones that are zero by default). */
function toProject<P extends { counts: Partial<Counts> }>(project: P): P & { counts: Counts } {
  return { ...project, counts: { ...NO_COUNTS, ...project.counts } };
}

interface Paged<T> {
  items: T[];
  next_cursor?: string | null;
}

/** Every page of a list, `limit` 200 at a time. */
async function all<T>(page: (cursor: string | undefined) => Promise<Paged<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const answer = await page(cursor);
    items.push(...answer.items);
    cursor = answer.next_cursor ?? undefined;
  } while (cursor);
  return items;
}

export class Rest {
  private readonly tw: Taskwire;

  /** `unauthorised` is told when the API refuses the token (401), so the app can sign out. */
  constructor(token: () => string, unauthorised: () => void = () => undefined) {
    const watched = async (request: Request): Promise<Response> => {
      const response = await fetch(request);
      if (response.status === 401 && request.headers.has("Authorization")) unauthorised();
      return response;
    };
    this.tw = createTaskwire({ baseUrl: "", token, fetch: watched });
  }

  async devToken(email: string, displayName: string): Promise<DevToken> {
    const { data } = await this.tw.projects.POST("/api/v1/dev/tokens", { body: { email, display_name: displayName } });
    return data as DevToken;
  }

  workspaces(): Promise<Workspace[]> {
    return all(async (cursor) => (await this.tw.projects.GET("/api/v1/workspaces", { params: { query: { limit: 200, cursor } } })).data);
  }

  async workspace(id: string): Promise<Workspace> {
    return (await this.tw.projects.GET("/api/v1/workspaces/{workspace_id}", { params: { path: { workspace_id: id } } })).data;
  }

  async createWorkspace(name: string): Promise<Workspace> {
    return (await this.tw.projects.POST("/api/v1/workspaces", { body: { name } })).data;
  }

  members(workspaceId: string): Promise<Member[]> {
    return all(
      async (cursor) =>
        (await this.tw.projects.GET("/api/v1/workspaces/{workspace_id}/members", { params: { path: { workspace_id: workspaceId }, query: { limit: 200, cursor } } })).data,
    );
  }

  async addMember(workspaceId: string, member: { user_id: string; email: string; display_name: string }): Promise<Member> {
    return (await this.tw.projects.POST("/api/v1/workspaces/{workspace_id}/members", { params: { path: { workspace_id: workspaceId } }, body: member })).data;
  }

  async projects(workspaceId: string): Promise<Project[]> {
    const projects = await all(
      async (cursor) =>
        (await this.tw.projects.GET("/api/v1/workspaces/{workspace_id}/projects", { params: { path: { workspace_id: workspaceId }, query: { limit: 200, cursor } } })).data,
    );
    return projects.map(toProject);
  }

  async createProject(workspaceId: string, key: string, name: string): Promise<Project> {
    return toProject((await this.tw.projects.POST("/api/v1/workspaces/{workspace_id}/projects", { params: { path: { workspace_id: workspaceId } }, body: { key, name } })).data);
  }

  /** The project with its statuses in board order. */
  async project(id: string): Promise<Project & { statuses: Status[] }> {
    return toProject((await this.tw.projects.GET("/api/v1/projects/{project_id}", { params: { path: { project_id: id } } })).data);
  }

  /** Every task of the project, archived ones too, in board order. */
  async tasks(projectId: string): Promise<Task[]> {
    const answers = await all(
      async (cursor) =>
        (
          await this.tw.tasks.GET("/api/v1/projects/{project_id}/tasks", {
            params: { path: { project_id: projectId }, query: { archived: "all", order: "board", limit: 200, cursor } },
          })
        ).data,
    );
    return answers.map(toTask);
  }

  async task(id: string): Promise<Task> {
    return toTask((await this.tw.tasks.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: id } } })).data);
  }

  async createTask(projectId: string, task: NewTask, mutationId: string): Promise<Task> {
    const { data } = await this.tw.tasks.POST("/api/v1/projects/{project_id}/tasks", {
      params: { path: { project_id: projectId } },
      body: task,
      mutationId,
      idempotencyKey: mutationId, // a retry of this create makes no second task
    });
    return toTask(data);
  }

  async updateTask(id: string, patch: { title?: string }, write: Write): Promise<Task> {
    const { data } = await this.tw.tasks.PATCH("/api/v1/tasks/{task_id}", { params: { path: { task_id: id } }, body: patch, ...write });
    return toTask(data);
  }

  async moveTask(id: string, placement: Placement, write: Write): Promise<Task> {
    const { data } = await this.tw.tasks.POST("/api/v1/tasks/{task_id}/move", { params: { path: { task_id: id } }, body: placement, ...write });
    return toTask(data);
  }

  async archiveTask(id: string, write: Write): Promise<Task> {
    return toTask((await this.tw.tasks.POST("/api/v1/tasks/{task_id}/archive", { params: { path: { task_id: id } }, ...write })).data);
  }

  async restoreTask(id: string, write: Write): Promise<Task> {
    return toTask((await this.tw.tasks.POST("/api/v1/tasks/{task_id}/restore", { params: { path: { task_id: id } }, ...write })).data);
  }
}
