"use client";
import { hasRole } from "@tower/shared/domain";
import { useProject } from "~/features/shell";
import { ThemeSwitch } from "~/ui/theme-switch";
import { AccountSecurity } from "./account-security";
import { AgentRegistration } from "./agent-registration";
import { ApiKeys } from "./api-keys";
import { usePeopleLive } from "./hooks";
import { Invites } from "./invites";
import { MemberList } from "./members";
import { Notifications } from "./notifications";
import { PriceTable } from "./price-table";

/** The project's keys, members, invites and prices, the signed-in person's account, and this browser's theme. */
export function SettingsPage() {
  const { current } = useProject();
  const isAdmin = hasRole(current.role, "admin");
  usePeopleLive(current.projectId);
  return (
    <section className="page">
      <div className="page-head">
        <h1>Settings</h1>
        <p className="muted">{current.projectName}</p>
      </div>
      {isAdmin ? (
        <ApiKeys projectId={current.projectId} />
      ) : (
        <p className="card muted">Only project admins can manage API keys and invites.</p>
      )}
      <MemberList projectId={current.projectId} myRole={current.role} />
      {isAdmin ? <AgentRegistration projectId={current.projectId} /> : null}
      {isAdmin ? <Invites projectId={current.projectId} /> : null}
      <PriceTable projectId={current.projectId} canEdit={isAdmin} />
      <AccountSecurity />
      <Notifications />
      <section className="card" aria-labelledby="appearance-title">
        <h2 id="appearance-title">Appearance</h2>
        <ThemeSwitch />
        <p className="muted">Kept in this browser. System follows your device&apos;s light or dark setting.</p>
      </section>
    </section>
  );
}
