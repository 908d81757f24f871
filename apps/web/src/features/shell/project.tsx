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

/** The selected project: from `?project=`, else localStorage, else the first membership. */
export function ProjectProvider({ memberships, children }: { memberships: Membership[]; children: ReactNode }) {
  const [projectId, setProjectId] = useState<string | undefined>(undefined);

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
  if (!current) {
    if (memberships.length === 0)
      return <p className="empty">You are not a member of any project yet. Ask an admin for an invite link.</p>;
    return <p className="loading">Loading…</p>;
  }
  return <ProjectContext.Provider value={{ memberships, current, select }}>{children}</ProjectContext.Provider>;
}
