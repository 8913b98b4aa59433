import { useEffect, useState } from "preact/hooks";

// Pages by the URL's hash, so the gateway serves one index.html for all of them:
//   #/                  the workspaces
//   #/w/<workspace id>  a workspace's projects
//   #/p/<project id>    a project's board

export type Route = { page: "workspaces" } | { page: "projects"; workspaceId: string } | { page: "board"; projectId: string };

export function parse(hash: string): Route {
  const [, kind, id] = hash.replace(/^#/, "").split("/");
  if (kind === "w" && id) return { page: "projects", workspaceId: decodeURIComponent(id) };
  if (kind === "p" && id) return { page: "board", projectId: decodeURIComponent(id) };
  return { page: "workspaces" };
}

export const href = {
  workspaces: (): string => "#/",
  projects: (workspaceId: string): string => `#/w/${encodeURIComponent(workspaceId)}`,
  board: (projectId: string): string => `#/p/${encodeURIComponent(projectId)}`,
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const changed = (): void => setRoute(parse(location.hash));
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}
