import { Feed, type FeedState } from "@taskwire/client";
import { Observable } from "../store";

// One live feed per signed-in page (docs/notifier.md), shared by whatever is on screen, and
// what the connection indicator shows: the feed's own state; "resynced" for a while after a
// resync (a room reloaded from REST because the feed could not replay what it missed); and
// "offline" while the browser says it is. Going offline closes the socket at once (it may not
// notice a dead network for a minute), and coming back opens a new one that resumes each room
// from the last event it had, so nothing is missed and nothing reloaded.

export type Shown = FeedState["kind"] | "resynced" | "offline";

const RESYNCED_FOR_MS = 8000;

export class LiveFeed {
  readonly feed: Feed;
  readonly shown = new Observable<{ kind: Shown; detail: string }>({ kind: "connecting", detail: "" });
  private resyncedTimer: ReturnType<typeof setTimeout> | undefined;
  private previous: FeedState["kind"] = "connecting";
  private offline = false;
  private readonly wentOffline = (): void => {
    this.offline = true;
    this.feed.close();
  };
  private readonly cameOnline = (): void => {
    if (!this.offline) return;
    this.offline = false;
    this.feed.connect();
  };

  constructor(token: () => string) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.feed = new Feed({ url: `${scheme}//${location.host}/ws`, token });
    this.feed.onState((state) => this.changed(state));
    addEventListener("offline", this.wentOffline);
    addEventListener("online", this.cameOnline);
    this.feed.connect();
  }

  close(): void {
    removeEventListener("offline", this.wentOffline);
    removeEventListener("online", this.cameOnline);
    clearTimeout(this.resyncedTimer);
    this.feed.close();
  }

  private changed(state: FeedState): void {
    const from = this.previous;
    this.previous = state.kind;
    if (state.kind === "live" && from === "resyncing") {
      clearTimeout(this.resyncedTimer);
      this.shown.set({ kind: "resynced", detail: "" });
      this.resyncedTimer = setTimeout(() => {
        this.resyncedTimer = undefined;
        this.changed(this.feed.state);
      }, RESYNCED_FOR_MS);
      return;
    }
    if (state.kind === "live" && this.resyncedTimer !== undefined) return; // still saying so
    clearTimeout(this.resyncedTimer);
    this.resyncedTimer = undefined;
    if (state.kind === "closed" && this.offline) this.shown.set({ kind: "offline", detail: "" });
    else this.shown.set({ kind: state.kind, detail: describe(state) });
  }
}

function describe(state: FeedState): string {
  switch (state.kind) {
    case "reconnecting":
      return `attempt ${state.attempt}, in ${(state.delayMs / 1000).toFixed(1)} s${state.code ? ` (code ${state.code})` : ""}`;
    case "resyncing":
      return state.rooms.join(", ");
    case "closed":
      return `${state.code}${state.reason ? `: ${state.reason}` : ""}`;
    default:
      return "";
  }
}
