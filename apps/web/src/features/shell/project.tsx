"use client";
import { useSearchParams } from "next/navigation";
import { createContext, Suspense, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import type { RouterOutputs } from "~/lib/trpc";

export type Membership = RouterOutputs["auth"]["me"]["memberships"][number];

const STORAGE_KEY = "tower.project";

interface ProjectState {
  memberships: Membership[];
  current: Membership;
  select(projectId: string): void;
}

const ProjectContext = createContext<ProjectState | null>(null);

export function useProject(): ProjectState {
  const value = useContext(ProjectContext);
  if (!value) throw new Error("useProject outside a signed-in page");
  return value;
}

function initialProjectId(memberships: Membership[]): string | undefined {
  const fromUrl = new URLSearchParams(window.location.search).get("project");
  const fromStorage = window.localStorage.getItem(STORAGE_KEY);
  for (const candidate of [fromUrl, fromStorage]) {
    if (candidate && memberships.some((m) => m.projectId === candidate)) return candidate;
  }
  return memberships[0]?.projectId;
}

/**
 * Follows `?project=` while the shell stays mounted: a link or Back to a URL naming another of the
 * caller's projects switches to it, as opening that URL would.
 */
function FollowUrlProject({ memberships, onProject }: { memberships: Membership[]; onProject(id: string): void }) {
  const fromUrl = useSearchParams().get("project");
  const known = useRef(memberships);
  useEffect(() => {
    known.current = memberships;
  }, [memberships]);
  // On a change of the URL only: a refreshed membership list must not undo a choice made since.
  useEffect(() => {
    if (fromUrl && known.current.some((m) => m.projectId === fromUrl)) onProject(fromUrl);
  }, [fromUrl, onProject]);
  return null;
}

/**
 * The selected project: from `?project=`, else localStorage, else the first membership. Chosen on
 * the first render (this mounts once the account is loaded, in the browser), so the page does not
 * flash a loading state in between; `fallback` covers the server render, `empty` no membership.
 * The provider lives in the shell, which stays mounted across pages: it follows `?project=`.
 */
export function ProjectProvider({
  memberships,
  fallback,
  empty,
  children,
}: {
  memberships: Membership[];
  fallback: ReactNode;
  empty: ReactNode;
  children: ReactNode;
}) {
  const [projectId, setProjectId] = useState<string | undefined>(() =>
    typeof window === "undefined" ? undefined : initialProjectId(memberships),
  );

  useEffect(() => {
    setProjectId((current) =>
      current && memberships.some((m) => m.projectId === current) ? current : initialProjectId(memberships),
    );
  }, [memberships]);

  const select = useCallback((id: string) => {
    setProjectId(id);
    window.localStorage.setItem(STORAGE_KEY, id);
    const url = new URL(window.location.href);
    url.searchParams.set("project", id);
    window.history.replaceState(null, "", url);
  }, []);

  const current = memberships.find((m) => m.projectId === projectId);
  if (!current) return memberships.length === 0 ? empty : fallback;
  return (
    <ProjectContext.Provider value={{ memberships, current, select }}>
      <Suspense fallback={null}>
        <FollowUrlProject memberships={memberships} onProject={setProjectId} />
      </Suspense>
      {children}
    </ProjectContext.Provider>
  );
}
