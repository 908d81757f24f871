"use client";
import Link from "next/link";
import type { ReactNode } from "react";
import "./work.css";

/** A Work link that keeps the project, so a copied link opens the same project's work. */
export function workHref(path: string, projectId: string): string {
  return `${path}?project=${encodeURIComponent(projectId)}`;
}

/**
 * The Work pages' head: the title, the Tasks / Runs views (links: each view is its own URL, so Back
 * and a shared link return to it) and the view's actions.
 */
export function WorkHeader({
  view,
  projectId,
  children,
}: {
  view: "tasks" | "runs";
  projectId: string;
  children?: ReactNode;
}) {
  return (
    <>
      <div className="page-head">
        <h1>Work</h1>
        {children ? <div className="page-actions">{children}</div> : null}
      </div>
      <nav className="work-tabs" aria-label="Work views">
        <Link href={workHref("/work", projectId)} aria-current={view === "tasks" ? "page" : undefined}>
          Tasks
        </Link>
        <Link href={workHref("/work/runs", projectId)} aria-current={view === "runs" ? "page" : undefined}>
          Runs
        </Link>
      </nav>
    </>
  );
}
