import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { LiveFeed } from "./api/feed";
import type { Rest } from "./api/rest";
import type { Identity } from "./session";

/** What every signed-in page uses: who is signed in, the REST API and the live feed. */
export interface Session {
  identity: Identity;
  rest: Rest;
  live: LiveFeed;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}
