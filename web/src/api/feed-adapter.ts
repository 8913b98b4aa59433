// A thin stand-in for the client library's Feed (same interface), used until the library
// has its own: the protocol of docs/notifier.md (auth, subscribe with since/epoch to resume,
// presence), reconnecting with backoff, and a resync (onResync) when a room cannot be replayed.

export type TaskwireEvent = { id: string; type: string; [field: string]: unknown };
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
  onResync(room: string): Promise<void> | void;
  onError?(error: { code: string; message: string }): void;
}

interface Room {
  handlers: RoomHandlers;
  seq?: number;
  epoch?: string;
}

type Message = Record<string, unknown> & { op: string; room?: string };

const FINAL = new Set([4001, 4029]); // a new token or a pause is needed: no blind retry

export class Feed {
  private socket: WebSocket | null = null;
  private rooms = new Map<string, Room>();
  private waiting = new Map<string, ((users: string[]) => void)[]>();
  private listeners = new Set<(state: FeedState) => void>();
  private current: FeedState = { kind: "connecting" };
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private resyncing = new Set<string>();

  constructor(private readonly options: { url: string; token: () => string | Promise<string> }) {}

  get state(): FeedState {
    return this.current;
  }

  onState(listener: (state: FeedState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  connect(): void {
    this.stopped = false;
    clearTimeout(this.timer);
    const socket = new WebSocket(this.options.url);
    this.socket = socket;
    socket.onopen = async () => socket.send(JSON.stringify({ op: "auth", token: await this.options.token() }));
    socket.onmessage = (message) => this.receive(JSON.parse(String(message.data)) as Message);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped || FINAL.has(event.code)) {
        this.setState({ kind: "closed", code: event.code, reason: event.reason });
        return;
      }
      this.attempt += 1;
      const delayMs = Math.min(5000, 250 * 2 ** (this.attempt - 1)) * (0.5 + Math.random() / 2);
      this.setState({ kind: "reconnecting", attempt: this.attempt, delayMs, code: event.code, reason: event.reason });
      this.timer = setTimeout(() => this.connect(), delayMs);
    };
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, "closed by the page");
    this.setState({ kind: "closed", code: 1000, reason: "closed by the page" });
  }

  subscribe(room: string, handlers: RoomHandlers): () => void {
    this.rooms.set(room, { handlers });
    this.send({ op: "subscribe", room });
    return () => {
      if (this.rooms.get(room)?.handlers !== handlers) return;
      this.rooms.delete(room);
      this.send({ op: "unsubscribe", room });
    };
  }

  presence(room: string): Promise<string[]> {
    if (!this.send({ op: "presence", room })) return Promise.reject(new Error("the feed is not live"));
    return new Promise((resolve) => this.waiting.set(room, [...(this.waiting.get(room) ?? []), resolve]));
  }

  private ready(): boolean {
    return this.socket?.readyState === WebSocket.OPEN && this.current.kind !== "connecting" && this.current.kind !== "reconnecting";
  }

  private send(message: Message): boolean {
    if (!this.ready()) return false;
    this.socket!.send(JSON.stringify(message));
    return true;
  }

  private setState(state: FeedState): void {
    this.current = state;
    for (const listener of [...this.listeners]) listener(state);
  }

  private receive(message: Message): void {
    const room = message.room ? this.rooms.get(message.room) : undefined;
    switch (message.op) {
      case "ready":
        this.attempt = 0;
        this.setState({ kind: "live" });
        for (const [name, held] of this.rooms) {
          const resume = held.seq !== undefined ? { since: held.seq, epoch: held.epoch } : {};
          this.send({ op: "subscribe", room: name, ...resume });
        }
        break;
      case "subscribed":
        if (room && message.recovered === false) void this.resync(message.room!, room, message);
        else if (room) Object.assign(room, { seq: message.seq as number, epoch: message.epoch as string });
        break;
      case "event":
        if (room) {
          const frame = message as unknown as FeedFrame;
          room.seq = frame.seq;
          room.epoch = frame.epoch;
          room.handlers.onEvent(frame.event, frame);
        }
        break;
      case "presence":
        for (const resolve of this.waiting.get(message.room ?? "") ?? []) resolve((message.users as string[]) ?? []);
        this.waiting.delete(message.room ?? "");
        break;
      case "error":
        if (room && message.code === "forbidden") this.rooms.delete(message.room!);
        room?.handlers.onError?.({ code: String(message.code), message: String(message.message ?? "") });
        break;
    }
  }

  private async resync(name: string, room: Room, message: Message): Promise<void> {
    room.seq = message.seq as number;
    room.epoch = message.epoch as string;
    this.resyncing.add(name);
    this.setState({ kind: "resyncing", rooms: [...this.resyncing] });
    try {
      await room.handlers.onResync(name);
    } finally {
      this.resyncing.delete(name);
      if (this.resyncing.size === 0 && this.socket) this.setState({ kind: "live" });
    }
  }
}
