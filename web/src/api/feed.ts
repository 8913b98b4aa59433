import { Feed, type FeedState } from "./feed-adapter";

export type { FeedFrame, TaskwireEvent } from "./feed-adapter";
import { Observable } from "../store";

// One live feed per signed-in page (docs/notifier.md), shared by whatever is on screen, and
// what the connection indicator shows: the feed's own state, plus "resynced" for a while
// after a resync (the rooms reloaded from REST because the feed could not replay what was
// missed).

export type Shown = FeedState["kind"] | "resynced";

const RESYNCED_FOR_MS = 8000;

export class LiveFeed {
  readonly feed: Feed;
  readonly shown = new Observable<{ kind: Shown; detail: string }>({ kind: "connecting", detail: "" });
  private resyncedTimer: ReturnType<typeof setTimeout> | undefined;
  private wasLive = false;
  private previous: FeedState["kind"] = "connecting";

  constructor(token: () => string) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.feed = new Feed({ url: `${scheme}//${location.host}/ws`, token });
    this.feed.onState((state) => this.changed(state));
    this.feed.connect();
    this.changed(this.feed.state);
  }

  /** A room's data was reloaded because its history was lost: say so for a while. */
  resynced(): void {
    if (!this.wasLive) return; // the first load of a page is no resync
    clearTimeout(this.resyncedTimer);
    this.shown.set({ kind: "resynced", detail: "" });
    this.resyncedTimer = setTimeout(() => {
      this.resyncedTimer = undefined;
      this.changed(this.feed.state);
    }, RESYNCED_FOR_MS);
  }

  close(): void {
    clearTimeout(this.resyncedTimer);
    this.feed.close();
  }

  private changed(state: FeedState): void {
    const from = this.previous;
    this.previous = state.kind;
    if (state.kind === "live" && from === "resyncing") {
      this.resynced();
      return;
    }
    if (state.kind === "live") this.wasLive = true;
    if (this.resyncedTimer !== undefined && state.kind === "live") return; // still showing it
    if (state.kind !== "live") clearTimeout(this.resyncedTimer), (this.resyncedTimer = undefined);
    this.shown.set({ kind: state.kind, detail: describe(state) });
  }
}

function describe(state: FeedState): string {
  switch (state.kind) {
    case "reconnecting":
      return `attempt ${state.attempt}, in ${Math.round(state.delayMs / 100) / 10} s${state.code ? ` (code ${state.code})` : ""}`;
    case "resyncing":
      return state.rooms.join(", ");
    case "closed":
      return `${state.code}${state.reason ? `: ${state.reason}` : ""}`;
    default:
      return "";
  }
}
