import { isProblem } from "@taskwire/client";

/** What to tell a person about an error: the problem's title, else the error's message. */
export function describe(error: unknown): string {
  if (isProblem(error)) return error.problem.title;
  if (error instanceof TypeError) return "The server could not be reached";
  return error instanceof Error ? error.message : String(error);
}

/** The HTTP status of a failed request, if it was answered. */
export function statusOf(error: unknown): number | null {
  return isProblem(error) ? error.status : null;
}
