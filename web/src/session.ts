import { jwtClaims } from "@taskwire/client";

// Who is signed in: the bearer token, kept in sessionStorage (one tab, gone with it), and what
// its payload says. The payload is read, not verified: the services verify every request.

const KEY = "taskwire.token";

export interface Identity {
  token: string;
  userId: string;
  name: string;
  email: string;
  expiresAt: number | null; // seconds since the epoch
}

/** The identity a token names, or null when it is not a readable JWT with a subject. */
export function identify(token: string): Identity | null {
  const claims = jwtClaims(token.trim());
  if (!claims || typeof claims.sub !== "string") return null;
  const text = (name: string): string => (typeof claims[name] === "string" ? (claims[name] as string) : "");
  return {
    token: token.trim(),
    userId: claims.sub,
    name: text("name") || text("display_name") || text("email") || claims.sub,
    email: text("email"),
    expiresAt: typeof claims.exp === "number" ? claims.exp : null,
  };
}

export function expired(identity: Identity, now = Date.now()): boolean {
  return identity.expiresAt !== null && identity.expiresAt * 1000 <= now;
}

/** The token a host page hands over as the page's fragment, `#token=<JWT>`: a fragment never
 * reaches a server or its logs. Null when the fragment is a page's route instead. */
export function handed(hash: string): string | null {
  if (!hash.startsWith("#token=")) return null;
  const token = new URLSearchParams(hash.slice(1)).get("token")?.trim();
  return token ? token : null;
}

export function stored(): Identity | null {
  const given = handed(location.hash);
  if (given !== null) {
    // Out of the address bar and the history at once, then on to the workspaces.
    history.replaceState(null, "", `${location.pathname}${location.search}#/`);
    const identity = identify(given);
    if (identity && !expired(identity)) {
      store(identity);
      return identity;
    }
  }
  const token = sessionStorage.getItem(KEY);
  const identity = token ? identify(token) : null;
  return identity && !expired(identity) ? identity : null;
}

export function store(identity: Identity): void {
  sessionStorage.setItem(KEY, identity.token);
}

export function forget(): void {
  sessionStorage.removeItem(KEY);
}
