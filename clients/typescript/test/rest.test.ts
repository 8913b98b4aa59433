import { describe, expect, expectTypeOf, it } from "vitest";
import { type Problem, ProblemError, createTaskwire, isProblem, versionOf } from "../src/index.js";

interface Seen { method: string; url: string; headers: Record<string, string>; body: string }

function fake(answer: (seen: Seen) => Response) {
  const seen: Seen[] = [];
  const fetch = async (request: Request) => {
    const entry = {
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers.entries()),
      body: await request.text(),
    };
    seen.push(entry);
    return answer(entry);
  };
  return { seen, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

const TASK = { id: "t1", title: "x", version: 3 };
const PID = "0193a000-0000-7000-8000-000000000001";

describe("createTaskwire", () => {
  it("sends the token, the paths as the documents say, and the headers named by options", async () => {
    const { seen, fetch } = fake(() => json(201, TASK, { ETag: '"3"' }));
    const tw = createTaskwire({ baseUrl: "http://gw:8080/", token: async () => "tok", fetch });
    const created = await tw.tasks.POST("/api/v1/projects/{project_id}/tasks", {
      params: { path: { project_id: PID } },
      body: { title: "x" },
      idempotencyKey: "key-1",
      mutationId: "m-1",
    });
    expect(seen[0]?.url).toBe(`http://gw:8080/api/v1/projects/${PID}/tasks`);
    expect(seen[0]?.headers).toMatchObject({
      authorization: "Bearer tok",
      "idempotency-key": "key-1",
      "x-client-mutation-id": "m-1",
    });
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ title: "x" });
    expect(created).toMatchObject({ data: TASK, status: 201, etag: '"3"', version: 3 });
    expectTypeOf(created.data.title).toEqualTypeOf<string>();
  });

  it("quotes a numeric ifMatch and passes an ETag as it came", async () => {
    const { seen, fetch } = fake(() => json(200, TASK, { ETag: '"4"' }));
    const tw = createTaskwire({ baseUrl: "http://gw", token: () => "tok", fetch });
    await tw.tasks.PATCH("/api/v1/tasks/{task_id}", { params: { path: { task_id: "t1" } }, body: { title: "y" }, ifMatch: 3 });
    await tw.tasks.POST("/api/v1/tasks/{task_id}/archive", { params: { path: { task_id: "t1" } }, ifMatch: '"4"' });
    expect(seen.map((s) => s.headers["if-match"])).toEqual(['"3"', '"4"']);
  });

  it("offers ifMatch and idempotencyKey only where the operation takes them", () => {
    const tw = createTaskwire({ baseUrl: "http://gw", token: () => "" });
    type MoveInit = NonNullable<Parameters<typeof tw.tasks.POST<"/api/v1/tasks/{task_id}/move">>[1]>;
    type CreateInit = NonNullable<Parameters<typeof tw.tasks.POST<"/api/v1/projects/{project_id}/tasks">>[1]>;
    expectTypeOf<MoveInit["ifMatch"]>().toEqualTypeOf<number | string | undefined>();
    expectTypeOf<MoveInit["idempotencyKey"]>().toEqualTypeOf<undefined>();
    expectTypeOf<CreateInit["idempotencyKey"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<CreateInit["ifMatch"]>().toEqualTypeOf<undefined>();
    const path = { params: { path: { project_id: PID } }, body: { title: "x" } };
    // @ts-expect-error: creating a task takes no If-Match
    void (() => tw.tasks.POST("/api/v1/projects/{project_id}/tasks", { ...path, ifMatch: 1 }));
    // @ts-expect-error: reading takes no Idempotency-Key
    void (() => tw.tasks.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: "t" } }, idempotencyKey: "k" }));
    // @ts-expect-error: a path the tasks service does not serve
    void (() => tw.tasks.GET("/api/v1/workspaces"));
  });

  it("sends no Authorization when the token is empty", async () => {
    const { seen, fetch } = fake(() => json(200, { items: [], next_cursor: null }));
    const tw = createTaskwire({ baseUrl: "http://gw", token: () => "", fetch });
    await tw.projects.GET("/api/v1/workspaces");
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });

  it("throws a ProblemError carrying the problem+json answer", async () => {
    const problem: Problem = {
      type: "urn:taskwire:problem:precondition-failed",
      title: "Precondition failed",
      status: 412,
      detail: "the task changed",
      instance: "/api/v1/tasks/t1",
      current_version: 5,
    };
    const { fetch } = fake(() => json(412, problem, { "Content-Type": "application/problem+json" }));
    const tw = createTaskwire({ baseUrl: "http://gw", token: () => "tok", fetch });
    const error = await tw.tasks
      .DELETE("/api/v1/tasks/{task_id}", { params: { path: { task_id: "t1" } }, ifMatch: 4 })
      .catch((e: unknown) => e);
    expect(isProblem(error, "precondition-failed")).toBe(true);
    expect(isProblem(error, "conflict")).toBe(false);
    if (!(error instanceof ProblemError)) throw error;
    expect(error.problem).toEqual(problem);
    expect(error.status).toBe(412);
    expect(error.problem.current_version).toBe(5);
  });

  it("makes a problem of an answer that is not problem+json, with Retry-After", async () => {
    const { fetch } = fake(() => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway", headers: { "Retry-After": "2" } }));
    const tw = createTaskwire({ baseUrl: "http://gw", token: () => "tok", fetch });
    const error = await tw.aggregator.GET("/api/v1/projects/{project_id}/counts", { params: { path: { project_id: PID } } }).catch((e: unknown) => e);
    if (!(error instanceof ProblemError)) throw error;
    expect(error.problem).toMatchObject({ type: "about:blank", status: 502, title: "Bad Gateway", detail: "<html>bad gateway</html>" });
    expect(error.retryAfter).toBe(2);
  });

  it("answers 204 with no data", async () => {
    const { fetch } = fake(() => new Response(null, { status: 204 }));
    const tw = createTaskwire({ baseUrl: "http://gw", token: () => "tok", fetch });
    const done = await tw.tasks.DELETE("/api/v1/tasks/{task_id}", { params: { path: { task_id: "t1" } } });
    expect(done).toMatchObject({ data: undefined, status: 204, version: null });
    expectTypeOf(done.data).toEqualTypeOf<undefined>();
  });

  it("reads versions from ETags", () => {
    expect([versionOf('"12"'), versionOf('W/"3"'), versionOf("7"), versionOf(null), versionOf("*")]).toEqual([12, 3, 7, null, null]);
  });
});
