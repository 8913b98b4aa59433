/** A feed's FeedState and who listens to it: told each change, once. */
import type { FeedState } from "./feed-types.js";

export class StateCell {
  private value: FeedState = { kind: "connecting" };
  private readonly listeners = new Set<(state: FeedState) => void>();

  get current(): FeedState {
    return this.value;
  }

  listen(listener: (state: FeedState) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  set(state: FeedState): void {
    if (JSON.stringify(state) === JSON.stringify(this.value)) return;
    this.value = state;
    for (const listener of [...this.listeners]) listener(state);
  }
}
