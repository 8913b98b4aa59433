/** The client against the running system, through its gateway: REST calls, their problems,
 * and the feed carrying what they changed. */
import { afterEach, describe, expect, it } from "vitest";
import { type Feed, type FeedFrame, ProblemError, type TaskwireEvent, isProblem } from "../src/index.js";
import { CuttableSocket, board, feedOf, rest, signIn, unique, until } from "./support/system.js";

const feeds: Feed[] = [];
afterEach(() => feeds.splice(0).forEach((feed) => feed.close()));

function watch(feed: Feed, room: string) {
  const frames: FeedFrame[] = [];
  const errors: { code: string }[] = [];
  let resyncs = 0;
  feeds.push(feed);
  feed.subscribe(room, { onEvent: (_, frame) => frames.push(frame), onResync: () => void (resyncs += 1), onError: (e) => errors.push(e) });
  feed.connect();
  return { frames, errors, resyncs: () => resyncs };
}

const created = (frames: FeedFrame[], id: string) =>
  frames.map((f) => f.event).find((e): e is Extract<TaskwireEvent, { type: "task.created" }> => e.type === "task.created" && e.data.id === id);

describe("the client against the system", () => {
  it("creates a workspace, a project and a task, and the task's event arrives on the feed", async () => {
    const ada = await signIn("Ada");
    const { tw, project } = await board(ada);
    const room = `project:${project.id}`;
    const feed = feedOf(ada);
    const seen = watch(feed, room);
    expect(await feed.presence(room)).toContain(ada.userId); // in the room from here on
    const mutationId = `it:${unique()}`;
    const { data: task, status, version } = await tw.tasks.POST("/api/v1/projects/{project_id}/tasks", {
      params: { path: { project_id: project.id } },
      body: { title: "Ship the board" },
      mutationId,
    });
    expect([status, version, task.version]).toEqual([201, 1, 1]);
    await until(() => created(seen.frames, task.id) !== undefined, "task.created on the feed");
    const event = created(seen.frames, task.id);
    expect(event?.data.title).toBe("Ship the board");
    expect(event?.client_mutation_id).toBe(mutationId);
    const seqs = seen.frames.map((f) => f.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(feed.state).toEqual({ kind: "live" });
  });

  it("answers a stale If-Match with a typed 412 problem, and a current one with the next version", async () => {
    const ada = await signIn("Ada");
    const { tw, project } = await board(ada);
    const { data: task } = await tw.tasks.POST("/api/v1/projects/{project_id}/tasks", { params: { path: { project_id: project.id } }, body: { title: "t" } });
    const path = { params: { path: { task_id: task.id } } };
    const stale = await tw.tasks.PATCH("/api/v1/tasks/{task_id}", { ...path, body: { title: "u" }, ifMatch: task.version + 5 }).catch((e: unknown) => e);
    expect(isProblem(stale, "precondition-failed")).toBe(true);
    if (!(stale instanceof ProblemError)) throw stale;
    expect(stale.problem).toMatchObject({ status: 412, type: "urn:taskwire:problem:precondition-failed", current_version: task.version });
    const fresh = await tw.tasks.PATCH("/api/v1/tasks/{task_id}", { ...path, body: { title: "u" }, ifMatch: task.version });
    expect([fresh.data.title, fresh.version, fresh.etag]).toEqual(["u", task.version + 1, `"${task.version + 1}"`]);
  });

  it("replays the first answer to a create retried with the same Idempotency-Key", async () => {
    const ada = await signIn("Ada");
    const { tw, project } = await board(ada);
    const create = (key: string) => tw.tasks.POST("/api/v1/projects/{project_id}/tasks", {
      params: { path: { project_id: project.id } }, body: { title: "once" }, idempotencyKey: key,
    });
    const key = `key-${unique()}`;
    const first = await create(key);
    const second = await create(key);
    expect(second.data.id).toBe(first.data.id);
    expect(second.data.number).toBe(first.data.number);
    expect((await create(`${key}-other`)).data.id).not.toBe(first.data.id);
  });

  it("surfaces a missing task as a not-found problem", async () => {
    const ada = await signIn("Ada");
    const missing = "0193a000-0000-7000-8000-000000000000";
    const error = await rest(ada).tasks.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: missing } } }).catch((e: unknown) => e);
    expect(isProblem(error, "not-found")).toBe(true);
    expect((error as ProblemError).problem.instance).toBe(`/api/v1/tasks/${missing}`);
  });

  it("resumes after its connection is cut, with what was missed meanwhile", async () => {
    const ada = await signIn("Ada");
    const { tw, project } = await board(ada);
    const room = `project:${project.id}`;
    // Away a whole second after the cut (random() = 1: the delay is the ceiling, 1 s).
    const feed = feedOf(ada, { backoff: { initialMs: 1000, maxMs: 1000 }, random: () => 1 });
    const seen = watch(feed, room);
    await feed.presence(room);
    CuttableSocket.cutAll();
    await until(() => feed.state.kind === "reconnecting", "the feed to notice the cut");
    expect(feed.state).toMatchObject({ kind: "reconnecting", attempt: 1, delayMs: 1000, code: 1006 });
    const { data: task } = await tw.tasks.POST("/api/v1/projects/{project_id}/tasks", { params: { path: { project_id: project.id } }, body: { title: "while away" } });
    await until(() => created(seen.frames, task.id) !== undefined, "the missed task.created");
    expect(seen.resyncs()).toBe(0); // resumed with since: replayed, not reloaded
    expect(feed.state).toEqual({ kind: "live" });
  });

  it("tells a stranger's subscription it is forbidden", async () => {
    const [ada, eve] = [await signIn("Ada"), await signIn("Eve")];
    const { project } = await board(ada);
    const seen = watch(feedOf(eve), `project:${project.id}`);
    await until(() => seen.errors.length > 0, "the forbidden error");
    expect(seen.errors[0]?.code).toBe("forbidden");
  });
});
