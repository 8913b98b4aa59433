/**
 * The live feed (docs/notifier.md) as one object: a WebSocket session that authenticates,
 * joins every room it was asked for, resumes each from where it stood after any drop, renews
 * its token before it expires, and reports what it is doing as a FeedState.
 */
import { Backoff } from "./backoff.js";
import { Room, type RoomHost } from "./feed-room.js";
import { CLOSE, type ClientMessage, type FeedOptions, type FeedState, type RoomHandlers, type ServerMessage, parseServerMessage } from "./feed-types.js";
import { Renewal } from "./feed-renewal.js";
import { StateCell } from "./feed-state.js";
import { jwtExp } from "./jwt.js";

export type { FeedFrame, FeedOptions, FeedState, RoomHandlers } from "./feed-types.js";

/** A session live this long resets the back-off. */
export const STABLE_MS = 5_000;

export class Feed {
  private readonly options: FeedOptions;
  private readonly backoff: Backoff;
  private readonly rooms = new Map<string, Room>();
  private readonly cell = new StateCell();
  private readonly host: RoomHost;
  private readonly renewal: Renewal;
  private socket: WebSocket | null = null;
  private session = 0; // which session events belong to; a new one ignores the last one's
  private ready = false;
  private wanted = false; // connect() called and close() not since
  private refused = false; // closed with 4001 since the last ready
  private token: string | null = null;
  private timers: Partial<Record<"reconnect" | "stable", ReturnType<typeof setTimeout>>> = {};

  constructor(options: FeedOptions) {
    this.options = options;
    this.backoff = new Backoff(options.backoff, options.random);
    this.host = {
      send: (message) => this.send(message),
      changed: () => this.update(),
      retryDelay: (attempt) => Math.max(this.backoff.initialMs, this.backoff.ceiling(attempt)),
    };
    this.renewal = new Renewal(options.token, options.renewBeforeSeconds ?? 60, (token) => {
      if (this.ready) this.token = token;
      return this.send({ op: "auth", token });
    });
  }

  get state(): FeedState {
    return this.cell.current;
  }

  onState(listener: (state: FeedState) => void): () => void {
    return this.cell.listen(listener);
  }

  connect(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.refused = false;
    void this.open(null);
  }

  close(): void {
    this.wanted = false;
    this.finish(CLOSE.NORMAL, "closed by the client");
  }

  subscribe(room: string, handlers: RoomHandlers): () => void {
    const joined = this.rooms.get(room) ?? new Room(room, this.host);
    if (!this.rooms.has(room)) {
      this.rooms.set(room, joined);
      if (this.ready) joined.join();
    }
    joined.handlers.push(handlers);
    let active = true;
    return () => {
      const index = active ? joined.handlers.indexOf(handlers) : -1;
      active = false;
      if (index >= 0) joined.handlers.splice(index, 1);
      if (joined.handlers.length > 0 || this.rooms.get(room) !== joined) return;
      this.rooms.delete(room);
      joined.end(new Error(`unsubscribed from ${room}`));
      this.send({ op: "unsubscribe", room });
      this.update();
    };
  }

  presence(room: string): Promise<string[]> {
    const joined = this.rooms.get(room);
    return joined ? joined.presence() : Promise.reject(new Error(`not subscribed to ${room}`));
  }

  private async open(token: string | null): Promise<void> {
    const session = ++this.session;
    this.cell.set({ kind: "connecting" });
    try {
      token ??= await this.options.token();
    } catch (error) {
      if (session === this.session) this.finish(CLOSE.UNAUTHENTICATED, `no token: ${String(error)}`);
      return;
    }
    if (session !== this.session || !this.wanted) return;
    this.token = token;
    try {
      const Socket = this.options.WebSocket ?? globalThis.WebSocket;
      const socket = new Socket(this.options.url);
      this.socket = socket;
      socket.onerror = () => {}; // a close follows, with its code
      socket.onopen = () => socket.send(JSON.stringify({ op: "auth", token }));
      socket.onmessage = (message) => session === this.session && this.receive(parseServerMessage(message.data));
      socket.onclose = (event) => session === this.session && void this.dropped(event.code, event.reason);
    } catch (error) {
      this.finish(CLOSE.ABNORMAL, `cannot open ${this.options.url}: ${String(error)}`);
    }
  }

  private receive(message: ServerMessage | null): void {
    if (!message) return;
    if (message.op === "ready") return this.started();
    if (message.op === "renewed") return this.renewal.schedule(message.exp);
    if (message.room === undefined) return; // an error about no room: nothing to do
    const room = this.rooms.get(message.room);
    if (!room) return; // a room left since: its last answers
    switch (message.op) {
      case "subscribed": return room.subscribed(message.seq, message.epoch, message.recovered);
      case "event": return room.frame({ room: message.room, seq: message.seq, epoch: message.epoch, trace_id: message.trace_id ?? null, event: message.event });
      case "presence": return room.presenceAnswered(message.users);
      case "unsubscribed": return room.unsubscribed();
      case "error":
        if (room.error(message.code, message.message)) this.rooms.delete(message.room);
        return this.update();
    }
  }

  private started(): void {
    this.ready = true;
    this.refused = false;
    this.renewal.schedule(this.token === null ? null : jwtExp(this.token));
    this.timers.stable = setTimeout(() => this.backoff.reset(), STABLE_MS);
    for (const room of this.rooms.values()) room.join();
    this.update();
  }

  private async dropped(code: number, reason: string): Promise<void> {
    const session = this.session;
    this.disconnect();
    if (code !== CLOSE.UNAUTHENTICATED) return this.reconnect(code, reason, code === CLOSE.TOO_MANY, null);
    // Refused twice without a session between: the token provider's tokens are not accepted.
    if (this.refused) return this.finish(code, reason);
    this.refused = true;
    try {
      const fresh = await this.options.token();
      if (session === this.session && this.wanted) this.reconnect(code, reason, false, fresh);
    } catch (error) {
      if (session === this.session) this.finish(code, `${reason} (no fresh token: ${String(error)})`);
    }
  }

  private reconnect(code: number, reason: string, slow: boolean, token: string | null): void {
    const delayMs = this.backoff.next(slow);
    this.cell.set({ kind: "reconnecting", attempt: this.backoff.attempt, delayMs, code, reason });
    this.timers.reconnect = setTimeout(() => void this.open(token), delayMs);
  }

  /** The session is over: timers stopped, every room to join again on the next one. */
  private disconnect(): void {
    for (const timer of Object.values(this.timers)) clearTimeout(timer);
    this.timers = {};
    this.renewal.cancel();
    this.ready = false;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null; // onerror stays: closing may fail
      if (socket.readyState === 0 || socket.readyState === 1) socket.close(CLOSE.NORMAL);
    }
    for (const room of this.rooms.values()) room.disconnected();
  }

  private finish(code: number, reason: string): void {
    this.session += 1;
    this.wanted = false;
    this.disconnect();
    for (const room of this.rooms.values()) room.dropPresence(new Error(`feed closed: ${reason}`));
    this.cell.set({ kind: "closed", code, reason });
  }

  private send(message: ClientMessage): boolean {
    if (!this.ready || this.socket?.readyState !== 1) return false; // closing: its close follows
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** live, or resyncing while any room reloads; only once the session is ready. */
  private update(): void {
    if (!this.ready) return;
    const rooms = [...this.rooms.values()].filter((room) => room.resyncing).map((room) => room.name);
    this.cell.set(rooms.length > 0 ? { kind: "resyncing", rooms } : { kind: "live" });
  }
}
