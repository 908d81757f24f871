"use client";
import type { AuditEvent, BudgetAlert } from "@tower/shared";
import Link from "next/link";
import type { ReactNode } from "react";
import { useProject } from "~/features/shell";
import { count, percent, plural, timeOf, usd } from "~/lib/format";
import { DecisionBadge } from "~/ui/decision-badge";
import { Empty, ErrorText, QueryView } from "~/ui/states";
import { useBudgetAlerts, useOverview, useRecentDenials } from "./hooks";

export function describeAlert(alert: BudgetAlert): string {
  const what =
    alert.budget === "cost_per_day"
      ? `its daily cost budget (${usd(alert.used)} of ${usd(alert.limit)})`
      : `its session token budget (${count(alert.used)} of ${count(alert.limit)} tokens)`;
  return `${alert.agentName} crossed ${alert.threshold} % of ${what}`;
}

function StatCard({
  name,
  label,
  value,
  raw,
  tone,
  children,
}: {
  name: string;
  label: string;
  value: string;
  raw: number | null;
  tone?: "warn" | undefined;
  children?: ReactNode;
}) {
  return (
    <div className={`stat-card${tone ? ` stat-${tone}` : ""}`} data-card={name} data-value={raw ?? ""}>
      <dt>{label}</dt>
      <dd>
        <span className="stat-value">{value}</span>
        {children ? <span className="stat-sub">{children}</span> : null}
      </dd>
    </div>
  );
}

function AlertList({ alerts }: { alerts: BudgetAlert[] }) {
  if (alerts.length === 0) return <Empty line>No budget alerts. They appear here as agents near their limits.</Empty>;
  return (
    <ol className="feed" aria-label="Budget alerts" aria-live="polite">
      {alerts.map((alert) => (
        <li key={alert.id} data-alert={alert.agentName} data-threshold={alert.threshold}>
          <span className={`badge threshold threshold-${alert.threshold}`}>{alert.threshold} %</span>
          <span className="feed-text">{describeAlert(alert)}</span>
          <time dateTime={new Date(alert.at).toISOString()}>{timeOf(alert.at)}</time>
        </li>
      ))}
    </ol>
  );
}

function DenialList({ rows }: { rows: AuditEvent[] }) {
  if (rows.length === 0) return <Empty line>No denied operations.</Empty>;
  return (
    <ol className="feed" aria-label="Recent denials" aria-live="polite">
      {rows.map((row) => (
        <li key={row.id} data-denial={row.actorName}>
          <DecisionBadge decision="denied" />
          <span className="feed-text">
            <strong>{row.actorName}</strong> · {row.operation}
            {row.target ? (
              <>
                {" "}
                <code>{row.target}</code>
              </>
            ) : null}
          </span>
          <time dateTime={new Date(row.at).toISOString()}>{timeOf(row.at)}</time>
        </li>
      ))}
    </ol>
  );
}

/** Today at a glance: spend, tokens, success, activity, budget alerts and denials, all live. */
export function OverviewPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const link = (path: string) => `${path}?project=${encodeURIComponent(projectId)}`;
  const { query: overview, refresh } = useOverview(projectId);
  const alerts = useBudgetAlerts(projectId, refresh);
  const denials = useRecentDenials(projectId, refresh);
  const o = overview.data;

  return (
    <section className="page overview">
      <div className="page-head">
        <h1>Overview</h1>
        <div className="page-actions">
          <Link className="button" href={link("/metrics")}>
            Metrics
          </Link>
          <Link className="button" href={link("/audit")}>
            Audit trail
          </Link>
        </div>
      </div>

      {overview.error ? (
        <ErrorText error={overview.error} context="Could not load the overview" />
      ) : (
        <dl className="stat-cards" aria-busy={overview.isPending} aria-label="Today">
          <StatCard
            name="cost"
            label="Cost today"
            value={o ? usd(o.today.costUsd) : "…"}
            raw={o?.today.costUsd ?? null}
          />
          <StatCard
            name="tokens"
            label="Tokens today"
            value={o ? count(o.today.tokens) : "…"}
            raw={o?.today.tokens ?? null}
          />
          <StatCard
            name="success"
            label="Success rate"
            value={o ? percent(o.today.successRate) : "…"}
            raw={o?.today.successRate ?? null}
          >
            {o ? plural(o.today.runs, "run") : null}
          </StatCard>
          <StatCard
            name="active"
            label="Active agents"
            value={o ? count(o.activeAgents) : "…"}
            raw={o?.activeAgents ?? null}
          >
            {o ? `of ${count(o.totalAgents)}` : null}
          </StatCard>
          <StatCard
            name="epm"
            label="Events per minute"
            value={o ? (o.eventsPerMinute < 10 ? o.eventsPerMinute.toFixed(1) : count(o.eventsPerMinute)) : "…"}
            raw={o?.eventsPerMinute ?? null}
          />
          <StatCard
            name="over-budget"
            label="Over budget"
            value={o ? count(o.overBudgetAgents) : "…"}
            raw={o?.overBudgetAgents ?? null}
            tone={o && o.overBudgetAgents > 0 ? "warn" : undefined}
          >
            {o ? "agents" : null}
          </StatCard>
        </dl>
      )}

      <div className="overview-grid">
        <section className="card" aria-labelledby="alerts-title">
          <h2 id="alerts-title">Budget alerts</h2>
          <QueryView query={alerts} loading="Loading alerts…" failure="Could not load alerts">
            {(list) => <AlertList alerts={list} />}
          </QueryView>
        </section>
        <section className="card" aria-labelledby="denials-title">
          <h2 id="denials-title">Recent denials</h2>
          <QueryView query={denials} loading="Loading denials…" failure="Could not load denials">
            {(page) => <DenialList rows={page.items} />}
          </QueryView>
          <p className="card-foot">
            <Link href={link("/audit")}>Open the audit trail</Link>
          </p>
        </section>
      </div>
    </section>
  );
}
