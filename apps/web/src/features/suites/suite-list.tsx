"use client";
import type { SuiteInfo, SuiteRun } from "@tower/shared";
import Link from "next/link";
import { duration, workHref } from "~/features/work";
import { SUITE_FORMAT_LABELS } from "./format";

export interface SuiteActions {
  /** Operators and above start suites; viewers see none of the buttons. */
  canOperate: boolean;
  /** The suite a start is under way for (its button is off meanwhile). */
  startingName: string | null;
  onStart(suite: SuiteInfo): void;
}

/** One configured suite: what it is, the command that runs (read-only: it lives on the server), and Start. */
function SuiteCard({
  suite,
  running,
  projectId,
  actions,
}: {
  suite: SuiteInfo;
  running: SuiteRun | undefined;
  projectId: string;
  actions: SuiteActions;
}) {
  return (
    <li className="card suite-card" data-suite={suite.name}>
      <div className="card-head">
        <h3>{suite.title}</h3>
        {running ? (
          <Link href={workHref(`/work/suites/runs/${encodeURIComponent(running.id)}`, projectId)}>
            Running now: watch it<span className="sr-only"> ({suite.title})</span>
          </Link>
        ) : actions.canOperate ? (
          <button
            type="button"
            className="primary"
            aria-label={`Start ${suite.title}`}
            disabled={actions.startingName === suite.name}
            onClick={() => actions.onStart(suite)}
          >
            {actions.startingName === suite.name ? "Starting…" : "Start"}
          </button>
        ) : null}
      </div>
      {suite.description ? <p className="suite-description">{suite.description}</p> : null}
      <pre className="suite-command">
        <code>{suite.command}</code>
      </pre>
      <dl className="facts">
        <dt>Name</dt>
        <dd>
          <code>{suite.name}</code>
        </dd>
        <dt>Results from</dt>
        <dd>{SUITE_FORMAT_LABELS[suite.format]}</dd>
        <dt>Timeout</dt>
        <dd>{duration(suite.timeoutSeconds * 1_000)}</dd>
      </dl>
    </li>
  );
}

/**
 * The suites the server offers, each with Start (operators and above). A suite with a run going in
 * the loaded history links to it instead: one run of a suite at a time.
 */
export function SuiteList({
  suites,
  runs,
  projectId,
  actions,
}: {
  suites: SuiteInfo[];
  runs: SuiteRun[];
  projectId: string;
  actions: SuiteActions;
}) {
  return (
    <ul className="plain suite-list" aria-label="Configured suites">
      {suites.map((suite) => (
        <SuiteCard
          key={suite.name}
          suite={suite}
          running={runs.find((run) => run.suiteName === suite.name && run.status === "running")}
          projectId={projectId}
          actions={actions}
        />
      ))}
    </ul>
  );
}
