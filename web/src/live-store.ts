import type { TaskwireEvent } from "./api/feed";
import { Observable } from "./store";
import type { Envelope } from "./types";

/** What a page shows of one room: loaded from REST, then kept by the room's events. Events that
 * arrive while it loads (or reloads, on a resync) are kept and applied after, by version, so
 * none is lost and none undone by an older answer. */
export abstract class LiveStore<S extends { revoked: boolean }> {
  readonly state: Observable<S>;
  private buffered: Envelope[] | null = null;

  constructor(initial: S) {
    this.state = new Observable(initial);
  }

  abstract get room(): string;

  /** What the load finds, laid over the state. */
  protected abstract fetch(): Promise<Partial<S>>;

  /** One event of the room, applied to the state. */
  protected abstract apply(event: Envelope): void;

  /** Told when a load fails. */
  protected abstract loadFailed(error: unknown): void;

  protected patch(change: Partial<S>): void {
    this.state.set({ ...this.state.get(), ...change });
  }

  async load(): Promise<void> {
    this.buffered = [];
    try {
      this.patch(await this.fetch());
      const missed = this.buffered;
      this.buffered = null;
      for (const event of missed) this.apply(event);
    } catch (error) {
      this.buffered = null;
      this.loadFailed(error);
      throw error;
    }
  }

  onEvent(event: TaskwireEvent): void {
    if (this.state.get().revoked) return;
    const envelope = event as unknown as Envelope;
    if (this.buffered) this.buffered.push(envelope);
    else this.apply(envelope);
  }
}
