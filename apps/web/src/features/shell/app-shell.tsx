"use client";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { Suspense, useEffect, useRef, useState, type ReactNode } from "react";
import { useLogOut, useMe } from "~/features/auth";
import { InstallButton, OfflineBanner, UpdatePrompt, useOffline } from "~/features/offline";
import { useApprovalFeed, usePendingCount } from "~/lib/approval-feed";
import { ConnectionBadge } from "~/lib/connection";
import { lazyComponent } from "~/ui/lazy";
import { Empty, ErrorText, Loading } from "~/ui/states";
import { countText, MenuButton, ProjectMenuButton } from "./menu-button";
import { ProjectProvider, useProject } from "./project";

// Opens on a click; its code loads then, not with every page.
const NewProjectDialog = lazyComponent(() => import("./new-project").then((m) => m.NewProjectDialog));

const LINKS = [
  { href: "/overview", label: "Overview" },
  { href: "/agents", label: "Agents" },
  { href: "/metrics", label: "Metrics" },
  { href: "/approvals", label: "Approvals" },
  { href: "/work", label: "Work" },
  { href: "/policy", label: "Policy" },
  { href: "/audit", label: "Audit" },
  { href: "/settings", label: "Settings" },
];

interface User {
  name: string;
  email: string;
}

function ProjectSwitcher({ onNewProject }: { onNewProject(): void }) {
  const { memberships, current, select } = useProject();
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
      <button type="button" className="icon-button wide-only" title="New project" onClick={onNewProject}>
        <span aria-hidden="true">+</span>
        <span className="sr-only">New project</span>
      </button>
    </div>
  );
}

function LogOutButton() {
  const logOut = useLogOut();
  return (
    <button type="button" onClick={() => logOut.mutate()} disabled={logOut.isPending}>
      Log out
    </button>
  );
}

function UserMenu({ user }: { user: User }) {
  return (
    <details className="user-menu">
      <summary aria-label={`Account menu for ${user.name}`}>{user.name}</summary>
      <div className="user-menu-panel">
        <p className="muted">{user.email}</p>
        <InstallButton />
        <LogOutButton />
      </div>
    </details>
  );
}

/** The project's approvals, live for the whole app: one subscription, opened here (renders nothing). */
function ApprovalFeed() {
  const { current } = useProject();
  useApprovalFeed(current.projectId);
  return null;
}

/** How many approvals wait for a person, next to "Approvals" on every page; kept live by `ApprovalFeed`. */
function PendingBadge() {
  const { current } = useProject();
  const pending = usePendingCount(current.projectId).data?.pending ?? 0;
  return (
    <span
      className="nav-count"
      data-pending-count={pending}
      aria-label={pending > 0 ? `${pending} pending` : undefined}
      hidden={pending === 0}
    >
      {countText(pending)}
    </span>
  );
}

function Nav({ hasProject }: { hasProject: boolean }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Main">
      {LINKS.map((link) => (
        <Link key={link.href} href={link.href} aria-current={pathname.startsWith(link.href) ? "page" : undefined}>
          {link.label}
          {link.href === "/approvals" && hasProject ? <PendingBadge /> : null}
        </Link>
      ))}
    </nav>
  );
}

/** Stand-ins for the project switcher and the live badge while the account loads (same size, no layout shift). */
function ToolsSkeleton() {
  return (
    <div className="header-tools" aria-hidden="true">
      <span className="skeleton skeleton-select" />
      <span className="skeleton skeleton-badge" />
    </div>
  );
}

/**
 * The header and the main area. On a phone the header is one compact row (brand, project, live
 * badge, menu button) and the navigation and account fold into the menu; from 760 px everything
 * sits in the header. Rendered at once, on the server too: the first paint is the app's frame.
 */
function Frame({ user, hasProject, children }: { user: User | null; hasProject: boolean; children: ReactNode }) {
  const pathname = usePathname();
  const [menuOpen, setMenuOpen] = useState(false);
  const [creating, setCreating] = useState(false);
  const offline = useOffline();

  // A link in the menu closes it (the page changes under it).
  useEffect(() => setMenuOpen(false), [pathname]);

  const menuButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!menuOpen) return;
    // Escape closes the menu and puts focus back on its button (not lost to the page).
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      setMenuOpen(false);
      menuButton.current?.focus();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [menuOpen]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link href="/overview" className="brand">
          Tower
        </Link>
        {user ? (
          <div className="header-tools">
            {hasProject ? <ProjectSwitcher onNewProject={() => setCreating(true)} /> : null}
            <ConnectionBadge />
          </div>
        ) : (
          <ToolsSkeleton />
        )}
        {hasProject ? (
          <ProjectMenuButton open={menuOpen} onToggle={() => setMenuOpen((open) => !open)} buttonRef={menuButton} />
        ) : (
          <MenuButton open={menuOpen} onToggle={() => setMenuOpen((open) => !open)} buttonRef={menuButton} />
        )}
        <div id="app-menu" className={`header-menu${menuOpen ? " open" : ""}`}>
          <Nav hasProject={hasProject} />
          {user ? (
            <>
              <div className="wide-only">
                <UserMenu user={user} />
              </div>
              <div className="menu-account narrow-only">
                {hasProject ? (
                  <button type="button" onClick={() => setCreating(true)}>
                    New project
                  </button>
                ) : null}
                <p className="muted">
                  {user.name} · {user.email}
                </p>
                <InstallButton />
                <LogOutButton />
              </div>
            </>
          ) : null}
        </div>
      </header>
      <OfflineBanner />
      <UpdatePrompt />
      <main id="main" tabIndex={-1} className="app-main">
        {/* Offline every control of the page is off (the banner says why): a change is never queued
            to run later, and a new filter or page of results has nowhere to come from. Links still work. */}
        <fieldset className="page-controls" disabled={offline}>
          {/* Pages read their view from the URL (useSearchParams), which needs a boundary to render on the server. */}
          <Suspense fallback={<Loading page />}>{children}</Suspense>
        </fieldset>
      </main>
      {creating ? <NewProjectDialog onClose={() => setCreating(false)} /> : null}
      {hasProject ? <ApprovalFeed /> : null}
    </>
  );
}

/**
 * Signed-in layout: header with project switcher, live badge, navigation and user menu. Rendered
 * once by app/(app)/layout.tsx and kept while the pages under it change.
 */
export function AppShell({ children }: { children: ReactNode }) {
  const me = useMe();
  const router = useRouter();
  const signedOut = me.data && !me.data.user;

  useEffect(() => {
    // Back here after signing in (a notification's approve page, a shared link).
    const back = `${window.location.pathname}${window.location.search}`;
    if (signedOut) router.replace(me.data?.setupNeeded ? "/signup" : `/login?next=${encodeURIComponent(back)}`);
  }, [signedOut, me.data?.setupNeeded, router]);

  if (me.isPending)
    return (
      <Frame user={null} hasProject={false}>
        <Loading page />
      </Frame>
    );
  if (me.error)
    return (
      <Frame user={null} hasProject={false}>
        <ErrorText error={me.error} context="Could not reach Tower" />
      </Frame>
    );
  if (!me.data.user)
    return (
      <Frame user={null} hasProject={false}>
        <Loading page label="Redirecting to sign in…" />
      </Frame>
    );

  const user = me.data.user;
  return (
    <ProjectProvider
      memberships={me.data.memberships}
      fallback={
        <Frame user={null} hasProject={false}>
          <Loading page />
        </Frame>
      }
      empty={
        <Frame user={user} hasProject={false}>
          <Empty>You are not a member of any project yet. Ask an owner or admin for an invite link.</Empty>
        </Frame>
      }
    >
      <Frame user={user} hasProject>
        {children}
      </Frame>
    </ProjectProvider>
  );
}
