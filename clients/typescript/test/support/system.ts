/** The running system the integration tests drive: its gateway, people signed in to it, and
 * REST and feed clients for them. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { WebSocket } from "ws";
import { Feed, type FeedOptions, createTaskwire, jwtClaims } from "../../src/index.js";
import { PACKAGE } from "../../scripts/openapi-docs.js";

export const GATEWAY = (process.env.TASKWIRE_GATEWAY ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
export const FEED_URL = `${GATEWAY.replace(/^http/, "ws")}/ws`;

export interface Person { name: string; email: string; userId: string; token: string }

export const unique = () => Math.random().toString(36).slice(2, 8);

/** A development token: from the projects service's POST /api/v1/dev/tokens, else minted
 * with taskwire-token (the shared development secret). */
export async function signIn(name: string): Promise<Person> {
  const email = `${name.toLowerCase()}.${unique()}@example.test`;
  const response = await fetch(`${GATEWAY}/api/v1/dev/tokens`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, display_name: name }),
  });
  if (response.status === 201) {
    const minted = (await response.json()) as { token: string; user_id: string };
    return { name, email, userId: minted.user_id, token: minted.token };
  }
  if (response.status !== 404) throw new Error(`POST /api/v1/dev/tokens: ${response.status} ${await response.text()}`);
  const cli = join(PACKAGE, "..", "..", ".venv", "bin", "taskwire-token");
  const token = execFileSync(existsSync(cli) ? cli : "taskwire-token", ["--email", email, "--name", name], {
    encoding: "utf8",
    env: { ...process.env, TASKWIRE_ENVIRONMENT: "development" },
  }).trim();
  return { name, email, userId: String(jwtClaims(token)?.sub), token };
}

export const rest = (person: Person) => createTaskwire({ baseUrl: GATEWAY, token: () => person.token });

/** A ws WebSocket whose connections the test can cut (as a network would: no close frame). */
export class CuttableSocket extends WebSocket {
  static open = new Set<CuttableSocket>();
  constructor(url: string) {
    super(url);
    CuttableSocket.open.add(this);
    this.on("close", () => CuttableSocket.open.delete(this));
  }
  static cutAll(): void {
    for (const socket of CuttableSocket.open) socket.terminate();
  }
}

export function feedOf(person: Person, options: Partial<FeedOptions> = {}): Feed {
  return new Feed({
    url: FEED_URL,
    token: () => person.token,
    backoff: { initialMs: 50, maxMs: 500 },
    WebSocket: CuttableSocket as unknown as typeof globalThis.WebSocket,
    ...options,
  });
}

/** Resolves once `check` is true, polling every 20 ms; rejects after `ms`. */
export async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A workspace and a project of `owner`'s, made through the REST client. */
export async function board(owner: Person) {
  const tw = rest(owner);
  const { data: workspace } = await tw.projects.POST("/api/v1/workspaces", { body: { name: `Acme ${unique()}` } });
  const { data: project } = await tw.projects.POST("/api/v1/workspaces/{workspace_id}/projects", {
    params: { path: { workspace_id: workspace.id } },
    body: { key: `K${unique().toUpperCase()}`, name: "Website" },
  });
  return { tw, workspace, project };
}
