import { useEffect, useMemo, useState } from "preact/hooks";
import { LiveFeed } from "./api/feed";
import { Rest } from "./api/rest";
import { Board } from "./board/Board";
import { Projects } from "./pages/Projects";
import { SignIn } from "./pages/SignIn";
import { Workspaces } from "./pages/Workspaces";
import { href, useRoute } from "./route";
import { forget, type Identity, store, stored } from "./session";
import { type Session, SessionContext } from "./session-context";
import { ConnectionState } from "./ui/ConnectionState";
import { NoticeBar } from "./ui/NoticeBar";

function Signed({ identity, signOut }: { identity: Identity; signOut(): void }) {
  const route = useRoute();
  const session = useMemo<Session>(() => {
    const token = (): string => identity.token;
    return { identity, rest: new Rest(token, signOut), live: new LiveFeed(token), signOut };
  }, [identity, signOut]);
  useEffect(() => () => session.live.close(), [session]);

  return (
    <SessionContext.Provider value={session}>
      <header class="top">
        <a class="brand" href={href.workspaces()}>
          Taskwire
        </a>
        <ConnectionState live={session.live} />
        <span class="me" data-testid="me" data-user-id={identity.userId} title={`your user id, for whoever adds you to a workspace: ${identity.userId}`}>
          {identity.name}
        </span>
        <button type="button" class="link" onClick={signOut} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <NoticeBar />
      {route.page === "board" ? (
        <Board key={route.projectId} projectId={route.projectId} />
      ) : route.page === "projects" ? (
        <Projects key={route.workspaceId} workspaceId={route.workspaceId} />
      ) : (
        <Workspaces />
      )}
    </SessionContext.Provider>
  );
}

export function App() {
  const [identity, setIdentity] = useState<Identity | null>(stored);
  const anonymous = useMemo(() => new Rest(() => ""), []);
  const signOut = useMemo(
    () => () => {
      forget();
      setIdentity(null);
    },
    [],
  );
  if (!identity) {
    return (
      <SignIn
        rest={anonymous}
        onSignedIn={(found) => {
          store(found);
          setIdentity(found);
        }}
      />
    );
  }
  return <Signed key={identity.token} identity={identity} signOut={signOut} />;
}
