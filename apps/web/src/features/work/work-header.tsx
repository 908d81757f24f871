"use client";
import Link from "next/link";
import type { ReactNode } from "react";
import "./work.css";

/** A Work link that keeps the project, so a copied link opens the same project's work. */
export function workHref(path: string, projectId: string): string {
  return `${path}?project=${encodeURIComponent(projectId)}`;
}

/** A run's own page. */
export const runHref = (id: string, projectId: string) => workHref(`/work/runs/${encodeURIComponent(id)}`, projectId);

const VIEWS = [
  { view: "tasks", path: "/work", label: "Tasks" },
  { view: "runs", path: "/work/runs", label: "Runs" },
  { view: "workflows", path: "/work/workflows", label: "Workflows" },
  { view: "suites", path: "/work/suites", label: "Test suites" },
] as const;

export type WorkView = (typeof VIEWS)[number]["view"];

/**
 * The Work pages' head: the title, the Tasks / Runs / Workflows / Test suites views (links: each view is its own URL, so Back
 * and a shared link return to it) and the view's actions.
 */
export function WorkHeader({ view, projectId, children }: { view: WorkView; projectId: string; children?: ReactNode }) {
  return (
    <>
      <div className="page-head">
        <h1>Work</h1>
        {children ? <div className="page-actions">{children}</div> : null}
      </div>
      <nav className="work-tabs" aria-label="Work views">
        {VIEWS.map((item) => (
          <Link
            key={item.view}
            href={workHref(item.path, projectId)}
            aria-current={view === item.view ? "page" : undefined}
          >
            {item.label}
          </Link>
        ))}
      </nav>
    </>
  );
}
