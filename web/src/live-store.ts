import type { TaskwireEvent } from "@taskwire/client";
import { Observable } from "./store";

/** What a page shows of one room: loaded from REST, then kept by the room's events. Events are
 * applied as they come, and those that arrive while a load is under way are applied again on
 * top of what it found (by version: an event the load already saw changes nothing), so a load
 * never undoes a newer event, however many loads overlap. */
export abstract class LiveStore<S extends { revoked: boolean }> {
  readonly state: Observable<S>;
  private readonly loading = new Set<TaskwireEvent[]>();

  constructor(initial: S) {
    this.state = new Observable(initial);
  }

  abstract get room(): string;

  /** What the load finds, laid over the state. */
  protected abstract fetch(): Promise<Partial<S>>;

  /** One event of the room, applied to the state. */
  protected abstract apply(event: TaskwireEvent): void;

  /** Told when a load fails. */
  protected abstract loadFailed(error: unknown): void;

  protected patch(change: Partial<S>): void {
    this.state.set({ ...this.state.get(), ...change });
  }

  async load(): Promise<void> {
    const seen: TaskwireEvent[] = [];
    this.loading.add(seen);
    try {
      this.patch(await this.fetch());
      for (const event of seen) this.apply(event);
    } catch (error) {
      this.loadFailed(error);
      throw error;
    } finally {
      this.loading.delete(seen);
    }
  }

  onEvent(event: TaskwireEvent): void {
    if (this.state.get().revoked) return;
    for (const seen of this.loading) seen.push(event);
    this.apply(event);
  }
}
