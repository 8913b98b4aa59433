/** The live feed's public types and its wire messages (docs/notifier.md). */
import type { TaskwireEvent } from "./events.js";

export type FeedState =
  | { kind: "connecting" }
  | { kind: "live" }
  | { kind: "reconnecting"; attempt: number; delayMs: number; code?: number; reason?: string }
  | { kind: "resyncing"; rooms: string[] }
  | { kind: "closed"; code: number; reason: string };

export interface FeedFrame {
  room: string;
  seq: number;
  epoch: string;
  trace_id: string | null;
  event: TaskwireEvent;
}

export interface RoomHandlers {
  onEvent(event: TaskwireEvent, frame: FeedFrame): void;
  /** recovered:false or a seq gap: reload the room from REST; the feed holds later frames until
   * it resolves, then goes on from the subscribed seq */
  onResync(room: string): Promise<void> | void;
  /** e.g. forbidden: the subscription ended */
  onError?(error: { code: string; message: string }): void;
}

export interface FeedOptions {
  /** ws://host:8080/ws */
  url: string;
  /** called on every (re)connect and before expiry for renewal */
  token: () => string | Promise<string>;
  /** default 60: send {op:auth} with a fresh token that long before the JWT exp */
  renewBeforeSeconds?: number;
  /** default 250 / 10000, exponential with full jitter */
  backoff?: { initialMs?: number; maxMs?: number };
  random?: () => number;
  WebSocket?: typeof WebSocket;
}

/** What the server sends. */
export type ServerMessage =
  | { op: "ready"; user_id: string }
  | { op: "renewed"; user_id: string; exp: number }
  | { op: "subscribed"; room: string; seq: number; epoch: string; recovered?: boolean }
  | ({ op: "event" } & FeedFrame)
  | { op: "unsubscribed"; room: string }
  | { op: "presence"; room: string; users: string[] }
  | { op: "error"; code: string; message: string; room?: string };

/** What the client sends. */
export type ClientMessage =
  | { op: "auth"; token: string }
  | { op: "subscribe"; room: string; since?: number; epoch?: string }
  | { op: "unsubscribe"; room: string }
  | { op: "presence"; room: string };

/** The close codes the feed acts on. */
export const CLOSE = {
  NORMAL: 1000,
  ABNORMAL: 1006,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  RESTART: 1012,
  UNAUTHENTICATED: 4001,
  TOO_SLOW: 4008,
  TOO_MANY: 4029,
} as const;

export function parseServerMessage(raw: unknown): ServerMessage | null {
  if (typeof raw !== "string") return null;
  try {
    const message: unknown = JSON.parse(raw);
    if (message === null || typeof message !== "object" || typeof (message as { op?: unknown }).op !== "string") return null;
    return message as ServerMessage;
  } catch {
    return null;
  }
}
