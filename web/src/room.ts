import type { TaskwireEvent } from "./api/feed";
import { useEffect } from "preact/hooks";
import type { LiveFeed } from "./api/feed";

/** What a page does with its room. */
export interface RoomStore {
  readonly room: string;
  load(): Promise<void>;
  onEvent(event: TaskwireEvent): void;
  revoke(): void;
}

/** Loads `store` and keeps it live through its room while the component is shown: events go to
 * the store, a resync reloads it (and the connection indicator says so), and a `forbidden`
 * (the member was removed) ends the subscription and tells the store. */
export function useRoom(live: LiveFeed, store: RoomStore): void {
  useEffect(() => {
    let active = true;
    void store.load().catch(() => undefined);
    let unsubscribe: (() => void) | null = live.feed.subscribe(store.room, {
      onEvent: (event) => {
        if (active) store.onEvent(event);
      },
      onResync: async () => {
        await store.load().catch(() => undefined);
        if (active) live.resynced();
      },
      onError: (error) => {
        if (error.code !== "forbidden" || !active) return;
        store.revoke();
        unsubscribe?.();
        unsubscribe = null;
      },
    });
    return () => {
      active = false;
      unsubscribe?.();
    };
  }, [live, store]);
}
