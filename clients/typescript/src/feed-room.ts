/**
 * One room of the feed: where it stands (seq, epoch), its frames in order exactly once, and its
 * resyncs. A resync (recovered:false, a gap, a new epoch) has the handlers reload the room while
 * the frames that arrive meanwhile wait; once they are done, those past the subscribed seq follow.
 */
import type { ClientMessage, FeedFrame, RoomHandlers } from "./feed-types.js";

export interface RoomHost {
  /** Send on the current session; false when there is none (the next one joins every room). */
  send(message: ClientMessage): boolean;
  /** A room started or finished a resync. */
  changed(): void;
  /** How long to wait before asking again after the `attempt`th failure. */
  retryDelay(attempt: number): number;
}

interface Waiter { resolve(users: string[]): void; reject(error: Error): void; sent: boolean }

const report: (error: unknown) => void =
  (globalThis as { reportError?: (error: unknown) => void }).reportError ??
  ((error) => setTimeout(() => { throw error; }));

export class Room {
  readonly handlers: RoomHandlers[] = [];
  seq: number | null = null;
  epoch: string | null = null;
  /** `subscribed` came on this session: frames before it answer an earlier subscription. */
  private joined = false;
  /** The next `subscribed` starts a reload, whatever it says (a gap, a new epoch). */
  private reload = false;
  private resync: { generation: number; buffer: FeedFrame[] } | null = null;
  private generation = 0;
  private unsubscribes = 0; // our own unsubscribes not yet answered
  private failures = 0;
  private joinTimer: ReturnType<typeof setTimeout> | undefined;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly waiters: Waiter[] = [];

  readonly name: string;
  private readonly host: RoomHost;

  constructor(name: string, host: RoomHost) {
    this.name = name;
    this.host = host;
  }

  get resyncing(): boolean {
    return this.reload || this.resync !== null;
  }

  /** Subscribe on the current session: resuming from seq and epoch when the room holds them. */
  join(): void {
    clearTimeout(this.joinTimer);
    this.joined = false;
    const resume = !this.reload && this.seq !== null && this.epoch !== null;
    this.host.send(resume ? { op: "subscribe", room: this.name, since: this.seq ?? 0, epoch: this.epoch ?? "" } : { op: "subscribe", room: this.name });
  }

  subscribed(seq: number, epoch: string, recovered: boolean | undefined): void {
    this.joined = true;
    this.failures = 0;
    for (const waiter of this.waiters.filter((w) => !w.sent)) this.askPresence(waiter);
    if (!this.reload && (this.seq === null || recovered === true)) {
      this.seq ??= seq; // first: from here on; resumed: the missed frames follow
      this.epoch = epoch;
      return;
    }
    this.reload = false;
    this.seq = seq;
    this.epoch = epoch;
    const generation = ++this.generation;
    this.resync = { generation, buffer: [] };
    this.host.changed();
    void this.reloadRoom(generation);
  }

  frame(frame: FeedFrame): void {
    if (!this.joined) return;
    if (this.resync) this.resync.buffer.push(frame);
    else this.accept(frame);
  }

  /** The session ended: the next one joins again; presence asked and unanswered is asked again. */
  disconnected(): void {
    clearTimeout(this.joinTimer);
    this.joined = false;
    this.unsubscribes = 0;
    for (const waiter of this.waiters) waiter.sent = false;
  }

  presence(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject, sent: false };
      this.waiters.push(waiter);
      if (this.joined) this.askPresence(waiter);
    });
  }

  presenceAnswered(users: string[]): void {
    const index = this.waiters.findIndex((w) => w.sent);
    if (index >= 0) this.waiters.splice(index, 1)[0]?.resolve(users);
  }

  unsubscribed(): void {
    if (this.unsubscribes > 0) this.unsubscribes -= 1;
  }

  /** An error about this room. True when it ends the subscription. */
  error(code: string, message: string): boolean {
    if (code === "not_subscribed") {
      const index = this.waiters.findIndex((w) => w.sent);
      if (this.unsubscribes > 0) this.unsubscribes -= 1; // the answer to our resubscribe's unsubscribe
      else if (index >= 0) this.waiters.splice(index, 1)[0]?.reject(new Error(message));
      return false;
    }
    if (code === "unavailable") {
      clearTimeout(this.joinTimer);
      this.joinTimer = setTimeout(() => this.join(), this.host.retryDelay(this.failures++));
      return false;
    }
    this.end(new Error(`${code}: ${message}`));
    for (const handlers of this.handlers) handlers.onError?.({ code, message });
    return true;
  }

  /** The subscription is over (unsubscribed, refused, the feed closed): nothing more arrives. */
  end(error: Error): void {
    clearTimeout(this.joinTimer);
    clearTimeout(this.reloadTimer);
    this.generation += 1;
    this.resync = null;
    this.reload = false;
    this.dropPresence(error);
  }

  dropPresence(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private accept(frame: FeedFrame): boolean {
    if (this.seq === null || frame.epoch !== this.epoch || frame.seq > this.seq + 1) {
      this.restart();
      return false;
    }
    if (frame.seq <= this.seq) return true; // a duplicate
    this.seq = frame.seq;
    for (const handlers of [...this.handlers]) {
      try {
        handlers.onEvent(frame.event, frame);
      } catch (error) {
        report(error);
      }
    }
    return true;
  }

  /** A gap or a new epoch: subscribe again without `since` and reload from what it says. */
  private restart(): void {
    this.reload = true;
    this.resync = null;
    this.generation += 1;
    this.joined = false;
    this.host.changed();
    if (this.host.send({ op: "unsubscribe", room: this.name })) {
      this.unsubscribes += 1;
      this.join();
    }
  }

  private async reloadRoom(generation: number): Promise<void> {
    try {
      await Promise.all([...this.handlers].map(async (handlers) => handlers.onResync(this.name)));
    } catch (error) {
      if (this.resync?.generation !== generation) return;
      for (const handlers of this.handlers) handlers.onError?.({ code: "resync_failed", message: String(error) });
      this.reloadTimer = setTimeout(() => void this.reloadRoom(generation), this.host.retryDelay(this.failures++));
      return;
    }
    if (this.resync?.generation !== generation) return; // superseded, or the room ended
    const held = this.resync.buffer.sort((a, b) => a.seq - b.seq);
    this.resync = null;
    this.failures = 0;
    for (const frame of held) if (!this.accept(frame)) break;
    this.host.changed();
  }

  private askPresence(waiter: Waiter): void {
    waiter.sent = this.host.send({ op: "presence", room: this.name });
  }
}
