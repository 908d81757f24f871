"use client";
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
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
 * The selected project: from `?project=`, else localStorage, else the first membership. Chosen on
 * the first render (this mounts once the account is loaded, in the browser), so the page does not
 * flash a loading state in between; `fallback` covers the server render, `empty` no membership.
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
  return <ProjectContext.Provider value={{ memberships, current, select }}>{children}</ProjectContext.Provider>;
}
