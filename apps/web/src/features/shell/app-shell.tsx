"use client";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useState, type ReactNode } from "react";
import { useLogOut, useMe } from "~/features/auth/hooks";
import { ConnectionBadge } from "~/lib/connection";
import { errorMessage } from "~/lib/errors";
import { lazyComponent } from "~/ui/lazy";
import { ProjectProvider, useProject } from "./project";

// Opens on a click; its code loads then, not with every page.
const NewProjectDialog = lazyComponent(() => import("./new-project").then((m) => m.NewProjectDialog));

function ProjectSwitcher() {
  const { memberships, current, select } = useProject();
  const [creating, setCreating] = useState(false);
  return (
    <div className="project-switcher">
      <label>
        <span className="sr-only">Project</span>
        <select aria-label="Project" value={current.projectId} onChange={(e) => select(e.target.value)}>
          {memberships.map((m) => (
            <option key={m.projectId} value={m.projectId}>
              {m.projectName} ({m.role})
            </option>
          ))}
        </select>
      </label>
      <button type="button" className="icon-button" title="New project" onClick={() => setCreating(true)}>
        <span aria-hidden="true">+</span>
        <span className="sr-only">New project</span>
      </button>
      {creating ? <NewProjectDialog onClose={() => setCreating(false)} /> : null}
    </div>
  );
}

function UserMenu({ name, email }: { name: string; email: string }) {
  const logOut = useLogOut();
  return (
    <details className="user-menu">
      <summary aria-label={`Account menu for ${name}`}>{name}</summary>
      <div className="user-menu-panel">
        <p className="muted">{email}</p>
        <button type="button" onClick={() => logOut.mutate()} disabled={logOut.isPending}>
          Log out
        </button>
      </div>
    </details>
  );
}

function Nav() {
  const pathname = usePathname();
  const links = [
    { href: "/overview", label: "Overview" },
    { href: "/agents", label: "Agents" },
    { href: "/metrics", label: "Metrics" },
    { href: "/audit", label: "Audit" },
    { href: "/settings", label: "Settings" },
  ];
  return (
    <nav aria-label="Main">
      {links.map((link) => (
        <Link key={link.href} href={link.href} aria-current={pathname.startsWith(link.href) ? "page" : undefined}>
          {link.label}
        </Link>
      ))}
    </nav>
  );
}

/** Signed-in layout: header with project switcher, live badge and user menu. */
export function AppShell({ children }: { children: ReactNode }) {
  const me = useMe();
  const router = useRouter();
  const signedOut = me.data && !me.data.user;

  useEffect(() => {
    if (signedOut) router.replace(me.data?.setupNeeded ? "/signup" : "/login");
  }, [signedOut, me.data?.setupNeeded, router]);

  if (me.isPending) return <p className="loading">Loading…</p>;
  if (me.error)
    return (
      <p className="error" role="alert">
        Could not reach Tower: {errorMessage(me.error)}
      </p>
    );
  if (!me.data.user) return <p className="loading">Redirecting to sign in…</p>;

  return (
    <ProjectProvider memberships={me.data.memberships}>
      <header className="app-header">
        <Link href="/overview" className="brand">
          Tower
        </Link>
        <Nav />
        <div className="header-tools">
          <ProjectSwitcher />
          <ConnectionBadge />
          <UserMenu name={me.data.user.name} email={me.data.user.email} />
        </div>
      </header>
      <main className="app-main">{children}</main>
    </ProjectProvider>
  );
}
