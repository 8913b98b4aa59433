import type { TaskwireEvent } from "@taskwire/client";
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
 * the store, a resync reloads it, and a `forbidden` (the member was removed) ends the
 * subscription and tells the store. */
export function useRoom(live: LiveFeed, store: RoomStore): void {
  useEffect(() => {
    let active = true;
    void store.load().catch(() => undefined); // shown at once
    let unsubscribe: (() => void) | null = live.feed.subscribe(store.room, {
      onEvent: (event) => {
        if (active) store.onEvent(event);
      },
      // A resync: reload from REST (the feed holds the room's events until it is done, and
      // asks again if it fails); the connection indicator says "resynced" after.
      onResync: () => store.load(),
      onError: (error) => {
        if (error.code !== "forbidden" || !active) return;
        store.revoke();
        unsubscribe?.();
        unsubscribe = null;
      },
    });
    // Loaded again once the room is joined (presence is answered only then): the first load may
    // have been read before the subscription began, and missed an event in between.
    live.feed.presence(store.room).then(
      () => active && void store.load().catch(() => undefined),
      () => undefined,
    );
    return () => {
      active = false;
      unsubscribe?.();
    };
  }, [live, store]);
}
