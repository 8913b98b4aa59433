/** Reconnection delays: exponential, with full jitter (a delay anywhere from 0 to the ceiling, so
 * that clients cut off together do not come back together), capped. */

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

/** How many doublings a refusal for load (4029) skips ahead, and the least of its ceiling it waits. */
const SLOW_STEPS = 4;

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  private readonly random: () => number;
  private attempts = 0;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.initialMs = Math.max(1, options.initialMs ?? 250);
    this.maxMs = Math.max(this.initialMs, options.maxMs ?? 10_000);
    this.random = random;
  }

  /** Attempts since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  /** The ceiling of the next delay: initialMs doubled per attempt, at most maxMs. */
  ceiling(steps = this.attempts): number {
    return Math.min(this.maxMs, this.initialMs * 2 ** Math.min(steps, 40));
  }

  /** The next delay. `slow` (the server said too many): a ceiling SLOW_STEPS doublings higher,
   * and at least half of it, so that a refused client does not come straight back. */
  next(slow = false): number {
    const ceiling = this.ceiling(this.attempts + (slow ? SLOW_STEPS : 0));
    this.attempts += 1;
    const jittered = Math.floor(this.random() * ceiling);
    return slow ? Math.floor(ceiling / 2) + Math.floor(jittered / 2) : jittered;
  }

  reset(): void {
    this.attempts = 0;
  }
}
