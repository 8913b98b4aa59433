import { Observable } from "./store";

export const REVOKED = "You no longer have access to this workspace";

/** The one message shown to the person at a time (data-testid="notice"). */
export interface Notice {
  text: string;
  tone: "info" | "error";
  at: number;
}

export const notice = new Observable<Notice | null>(null);

let timer: ReturnType<typeof setTimeout> | undefined;

export function tell(text: string, tone: Notice["tone"] = "info", forMs = 10_000): void {
  clearTimeout(timer);
  notice.set({ text, tone, at: Date.now() });
  if (forMs > 0) timer = setTimeout(() => notice.set(null), forMs);
}

export function dismiss(): void {
  clearTimeout(timer);
  notice.set(null);
}
