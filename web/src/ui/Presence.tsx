import { useEffect, useState } from "preact/hooks";
import type { LiveFeed } from "../api/feed";
import type { Member } from "../types";

const EVERY_MS = 3000;

/** Who else has this room open: the feed's presence, asked every few seconds, by name. */
export function Presence(props: { live: LiveFeed; room: string; me: string; members: Member[]; paused: boolean; onUnknown(): void }) {
  const { live, room, me, members, paused, onUnknown } = props;
  const [users, setUsers] = useState<string[]>([]);
  useEffect(() => {
    if (paused) {
      setUsers([]);
      return;
    }
    let active = true;
    let asking = false; // one question at a time: while the feed is down, it waits for it
    const ask = (): void => {
      if (asking) return;
      asking = true;
      live.feed
        .presence(room)
        .then(
          (found) => active && setUsers(found.filter((u) => u !== me)),
          () => undefined, // not subscribed just now: asked again shortly
        )
        .finally(() => (asking = false));
    };
    ask();
    const timer = setInterval(ask, EVERY_MS);
    return () => {
      active = false;
      clearInterval(timer);
    };
  }, [live, room, me, paused]);
  const names = new Map(members.map((m) => [m.user_id, m.display_name]));
  useEffect(() => {
    if (users.some((u) => !names.has(u))) onUnknown();
  }, [users.join(",")]);
  return (
    <div class="presence" data-testid="presence" aria-label="Also on this board">
      {users.length === 0 ? (
        <span class="muted">Nobody else here</span>
      ) : (
        users.map((u) => (
          <span class="avatar" key={u} data-testid={`presence-${u}`} title={names.get(u) ?? u}>
            {names.get(u) ?? "Someone"}
          </span>
        ))
      )}
    </div>
  );
}
