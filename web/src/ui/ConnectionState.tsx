import type { LiveFeed, Shown } from "../api/feed";
import { useObservable } from "../store";

const LABELS: Record<Shown, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  resyncing: "Resyncing…",
  resynced: "Resynced",
  closed: "Disconnected",
  offline: "Offline",
};

/** The feed's state, as a person reads it (data-state for tests: the feed's kind, or resynced). */
export function ConnectionState({ live }: { live: LiveFeed }) {
  const shown = useObservable(live.shown);
  return (
    <span
      class={`connection connection-${shown.kind}`}
      data-testid="connection-state"
      data-state={shown.kind}
      role="status"
      aria-live="polite"
      title={shown.detail || undefined}
    >
      <span class="dot" aria-hidden="true" />
      {LABELS[shown.kind]}
    </span>
  );
}
