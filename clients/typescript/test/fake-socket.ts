/** A WebSocket the test plays the server of: it records what the feed sends and delivers what
 * the test says, when the test says. */
import { vi } from "vitest";
import { Feed, type FeedOptions, type FeedState } from "../src/index.js";

export type Sent = Record<string, unknown> & { op: string };

export class FakeSocket {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: Sent[] = [];
  closedWith: number | null = null;
  readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(JSON.parse(data) as Sent);
  }

  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  // The server's side.
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  push(message: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  drop(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** What the feed sent since the last call. */
  take(): Sent[] {
    return this.sent.splice(0);
  }
}

/** A JWT (unsigned: the feed never verifies) whose `exp` is `exp` seconds since the epoch. */
export function jwt(exp: number, sub = "u1"): string {
  const utf8 = (value: object) => String.fromCharCode(...new TextEncoder().encode(JSON.stringify(value)));
  const part = (value: object) => btoa(utf8(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub, exp })}.signature`;
}

export const settle = () => vi.advanceTimersByTimeAsync(0);

export interface Harness {
  feed: Feed;
  sockets: FakeSocket[];
  states: FeedState[];
  token: ReturnType<typeof vi.fn<() => string | Promise<string>>>;
  /** The socket the feed opened last. */
  socket(): FakeSocket;
  /** Open the last socket, check it authenticates, answer ready; returns what else it sent. */
  accept(user?: string): Promise<Sent[]>;
}

export async function harness(options: Partial<FeedOptions> = {}): Promise<Harness> {
  const sockets: FakeSocket[] = [];
  const Socket = class extends FakeSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  };
  let n = 0;
  const token = vi.fn<() => string | Promise<string>>(() => `token-${++n}`);
  const feed = new Feed({ url: "ws://feed/ws", token, random: () => 1, WebSocket: Socket as unknown as typeof WebSocket, ...options });
  const states: FeedState[] = [];
  feed.onState((state) => states.push(state));
  const socket = () => {
    const last = sockets.at(-1);
    if (!last) throw new Error("no socket opened");
    return last;
  };
  const accept = async (user = "u1") => {
    await settle();
    const current = socket();
    current.open();
    const [auth, ...rest] = current.take();
    if (auth?.op !== "auth") throw new Error(`expected auth first, got ${JSON.stringify(auth)}`);
    current.push({ op: "ready", user_id: user });
    await settle();
    return [...rest, ...current.take()];
  };
  return { feed, sockets, states, token: token as Harness["token"], socket, accept };
}

/** An event frame of `room` numbered `seq`. */
export function frame(room: string, seq: number, epoch = "e1", type = "task.updated") {
  return {
    op: "event", room, seq, epoch, trace_id: `trace-${seq}`,
    event: { id: `ev-${seq}`, type, producer: "tasks", occurred_at: "2026-01-01T00:00:00Z", subject: { kind: "task", id: "t1", version: seq }, data: {} },
  };
}
