/** Keeps a feed session's token fresh: a new one sent `renewBeforeSeconds` before the last one's
 * `exp` (the JWT's, then each `renewed` answer's). */

/** Renewal never comes sooner than this after the last (a token provider that hands back the same token). */
export const MIN_RENEW_MS = 5_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Renewal {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly token: () => string | Promise<string>;
  private readonly beforeMs: number;
  private readonly send: (token: string) => boolean;

  /** `send` puts {op: auth} on the current session; false when there is none. */
  constructor(token: () => string | Promise<string>, beforeSeconds: number, send: (token: string) => boolean) {
    this.token = token;
    this.beforeMs = beforeSeconds * 1000;
    this.send = send;
  }

  /** Renew before `exp` (seconds since the epoch); null: a token that never expires. */
  schedule(exp: number | null): void {
    this.cancel();
    if (exp === null) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(MIN_RENEW_MS, exp * 1000 - this.beforeMs - Date.now()));
    this.timer = setTimeout(() => void this.renew(), delay);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async renew(): Promise<void> {
    this.timer = undefined;
    let token: string;
    try {
      token = await this.token();
    } catch {
      // Try again shortly; once the token has run out the server closes with 4001.
      this.timer ??= setTimeout(() => void this.renew(), MIN_RENEW_MS);
      return;
    }
    this.send(token); // `renewed` answers with the new exp, which schedules the next renewal
  }
}
