/** Errors as every Taskwire service answers them: application/problem+json (RFC 9457). */

export const PROBLEM_TYPE_PREFIX = "urn:taskwire:problem:";

/** The slugs the services use today (`type` is `urn:taskwire:problem:<slug>`); others may come. */
export type ProblemSlug =
  | "bad-request" | "unauthenticated" | "forbidden" | "not-found" | "conflict"
  | "precondition-failed" | "payload-too-large" | "unprocessable" | "validation"
  | "too-many-requests" | "unavailable" | "error";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** the path of the request */
  instance?: string;
  /** 412: the entity's current version */
  current_version?: number;
  /** 422 validation: each invalid field */
  errors?: { loc: (string | number)[]; msg: string; type: string }[];
  [extension: string]: unknown;
}

/** Thrown by every REST call that is answered with an error status. */
export class ProblemError extends Error {
  override readonly name = "ProblemError";
  readonly problem: Problem;
  readonly response: Response;

  constructor(problem: Problem, response: Response) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.problem = problem;
    this.response = response;
  }

  get status(): number {
    return this.problem.status;
  }

  /** `precondition-failed` for `urn:taskwire:problem:precondition-failed`; else the whole type. */
  get slug(): string {
    return problemSlug(this.problem);
  }

  /** Seconds to wait before retrying (429, 503), from Retry-After. */
  get retryAfter(): number | undefined {
    const value = Number(this.response.headers.get("Retry-After") ?? Number.NaN);
    return Number.isFinite(value) ? value : undefined;
  }
}

export function problemSlug(problem: Problem): string {
  return problem.type.startsWith(PROBLEM_TYPE_PREFIX)
    ? problem.type.slice(PROBLEM_TYPE_PREFIX.length)
    : problem.type;
}

/** Whether `error` is a ProblemError, of the slug given if any. */
export function isProblem(error: unknown, slug?: ProblemSlug | (string & {})): error is ProblemError {
  return error instanceof ProblemError && (slug === undefined || error.slug === slug);
}

/** The body of an error answer as a Problem; one that is not problem+json (a proxy's page, an
 * empty body) becomes `about:blank` with the status's text. */
export function toProblem(body: unknown, response: Response): Problem {
  if (body !== null && typeof body === "object" && "type" in body && "status" in body) {
    const found = body as Partial<Problem>;
    if (typeof found.type === "string" && typeof found.status === "number") {
      return { title: response.statusText, detail: "", ...found } as Problem;
    }
  }
  const text = typeof body === "string" ? body.trim().slice(0, 500) : "";
  return {
    type: "about:blank",
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: text || `${response.status} ${response.statusText}`.trim(),
    instance: new URL(response.url || "http://invalid/").pathname,
  };
}
