/**
 * The REST API through the gateway, typed from each service's OpenAPI document (src/generated,
 * `npm run generate`). One openapi-fetch client per service, all on the gateway's origin: the
 * documents' paths carry `/api/v1` themselves.
 *
 *   const tw = createTaskwire({ baseUrl: "http://127.0.0.1:8080", token: () => session.token });
 *   const { data: task, version } = await tw.tasks.POST("/api/v1/projects/{project_id}/tasks", {
 *     params: { path: { project_id } }, body: { title: "Ship it" }, idempotencyKey: key });
 *   await tw.tasks.POST("/api/v1/tasks/{task_id}/move", { params: { path: { task_id: task.id } },
 *     body: { status_id }, ifMatch: version, mutationId: "m-42" });
 *
 * A call resolves to `{ data, status, etag, version, response }` for a 2xx answer and throws a
 * `ProblemError` (its `problem`: RFC 9457 fields and extensions) for any other; a network
 * failure rejects as fetch does.
 */
import createClient, { type Client, type ClientPathsWithMethod, type FetchOptions, type FetchResponse } from "openapi-fetch";
import type { paths as AggregatorPaths } from "./generated/aggregator.js";
import type { paths as ProjectsPaths } from "./generated/projects.js";
import type { paths as TasksPaths } from "./generated/tasks.js";
import { ProblemError, toProblem } from "./problem.js";

export type { AggregatorPaths, ProjectsPaths, TasksPaths };
type Method = "get" | "put" | "post" | "delete" | "patch";
type Operation<Paths, P, M extends Method> = P extends keyof Paths ? (M extends keyof Paths[P] ? Paths[P][M] : never) : never;

type HeaderNames<O> = O extends { parameters: { header?: infer H } }
  ? [NonNullable<H>] extends [never] ? never : keyof NonNullable<H> & string // `header?: never`: none
  : never;
type Declares<O, Name extends string> = Lowercase<Name> extends Lowercase<HeaderNames<O>> ? true : false;

/** The headers a call may set by name, where its operation declares them. */
export type HeaderOptions<O> = (Declares<O, "If-Match"> extends true
  ? { /** the version read (a number) or the ETag as answered: a stale one is refused with 412 */ ifMatch?: number | string }
  : { ifMatch?: never }) &
  (Declares<O, "Idempotency-Key"> extends true
    ? { /** a retry with the same key answers the first response */ idempotencyKey?: string }
    : { idempotencyKey?: never }) &
  (Declares<O, "X-Client-Mutation-Id"> extends true
    ? { /** X-Client-Mutation-Id: the events this change writes carry it as `client_mutation_id` */ mutationId?: string }
    : { mutationId?: never });

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type Init<O> = FetchOptions<O> & HeaderOptions<O>;
type Args<I> = [RequiredKeys<I>] extends [never] ? [init?: I] : [init: I];
type Json = `${string}/json`;
type Data<O> = O extends Record<string | number, unknown>
  ? Exclude<Extract<FetchResponse<O, object, Json>, { error?: never }>["data"], undefined>
  : never;

/** A 2xx answer. `etag`/`version`: the entity's version as answered (ETag `"<version>"`). */
export interface Ok<T> {
  data: [T] extends [never] ? undefined : T;
  status: number;
  etag: string | null;
  version: number | null;
  response: Response;
}

type Call<Paths extends object, M extends Method> = <P extends ClientPathsWithMethod<Client<Paths>, M>>(
  path: P,
  ...init: Args<Init<Operation<Paths, P, M>>>
) => Promise<Ok<Data<Operation<Paths, P, M>>>>;

export interface ServiceClient<Paths extends object> {
  GET: Call<Paths, "get">;
  POST: Call<Paths, "post">;
  PUT: Call<Paths, "put">;
  PATCH: Call<Paths, "patch">;
  DELETE: Call<Paths, "delete">;
  /** The openapi-fetch client underneath (its `{data, error}` results, middleware). */
  raw: Client<Paths>;
}

export interface TaskwireOptions {
  /** The gateway's origin, e.g. http://127.0.0.1:8080 (or "" for the page's own origin). */
  baseUrl: string;
  /** The bearer token, asked for on every request; "" sends none. */
  token: () => string | Promise<string>;
  fetch?: (input: Request) => Promise<Response>;
}

export interface Taskwire {
  projects: ServiceClient<ProjectsPaths>;
  tasks: ServiceClient<TasksPaths>;
  aggregator: ServiceClient<AggregatorPaths>;
}

export function createTaskwire(options: TaskwireOptions): Taskwire {
  return {
    projects: serviceClient<ProjectsPaths>(options),
    tasks: serviceClient<TasksPaths>(options),
    aggregator: serviceClient<AggregatorPaths>(options),
  };
}

/** The version an ETag names (`"7"`, `W/"7"`), or null. */
export function versionOf(etag: string | null): number | null {
  const match = etag ? /^(?:W\/)?"?(\d+)"?$/.exec(etag.trim()) : null;
  return match ? Number(match[1]) : null;
}

interface Extras { ifMatch?: number | string; idempotencyKey?: string; mutationId?: string; headers?: HeadersInit }

function serviceClient<Paths extends object>(options: TaskwireOptions): ServiceClient<Paths> {
  const custom = options.fetch;
  const raw = createClient<Paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    ...(custom ? { fetch: (request: Request) => custom(request) } : {}),
  });
  raw.use({
    async onRequest({ request }) {
      const token = await options.token();
      if (token) request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  });
  const request = raw.request as unknown as (method: Method, path: string, init: object) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
  const call = (method: Method) => async (path: string, init: Extras & Record<string, unknown> = {}) => {
    const { ifMatch, idempotencyKey, mutationId, headers, ...rest } = init;
    const sent = new Headers(headers);
    if (ifMatch !== undefined) sent.set("If-Match", typeof ifMatch === "number" ? `"${ifMatch}"` : ifMatch);
    if (idempotencyKey !== undefined) sent.set("Idempotency-Key", idempotencyKey);
    if (mutationId !== undefined) sent.set("X-Client-Mutation-Id", mutationId);
    const { data, error, response } = await request(method, path, { ...rest, headers: sent });
    if (!response.ok) throw new ProblemError(toProblem(error, response), response);
    const etag = response.headers.get("ETag");
    return { data, status: response.status, etag, version: versionOf(etag), response };
  };
  return {
    GET: call("get") as unknown as Call<Paths, "get">,
    POST: call("post") as unknown as Call<Paths, "post">,
    PUT: call("put") as unknown as Call<Paths, "put">,
    PATCH: call("patch") as unknown as Call<Paths, "patch">,
    DELETE: call("delete") as unknown as Call<Paths, "delete">,
    raw,
  };
}
