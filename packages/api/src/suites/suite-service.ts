import path from "node:path";
import { suiteOutput, suiteResults, suiteRuns } from "@tower/db";
import { LIMITS } from "@tower/shared";
import type {
  Actor,
  ChangeEvent,
  SuiteInfo,
  SuiteOutputLine,
  SuiteRun,
  SuiteTestResult,
  TestStatus,
} from "@tower/shared";
import { and, asc, desc, eq, gt, lt } from "drizzle-orm";
import { SYSTEM_ACTOR } from "../core/actor";
import { appendAudit } from "../core/audit-chain";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import type { SuiteConfiguration } from "../core/ports";
import { newId } from "../core/tokens";
import { killOrphanedGroup, processStartTime } from "./process-group";
import { SuiteRecorder } from "./suite-recorder";
import { runSuiteProcess } from "./suite-process";
import {
  endRunAsError,
  endUnwatchedRun,
  requireSuiteRun,
  suiteRunChange,
  toSuiteRun,
  type SuiteRunRow,
} from "./suite-run-rows";

type ConfiguredSuite = SuiteConfiguration["suites"][number];

const commandText = (command: string | string[]) => (typeof command === "string" ? command : command.join(" "));

/** The configured suites as people see them: what runs, never the environment it runs with. */
export function listSuites(deps: Deps): { suites: SuiteInfo[]; file: string | null } {
  const configured = deps.suites;
  return {
    // Its name only: where the server's files live is not for every viewer and read key to see.
    file: configured?.file ? path.basename(configured.file) : null,
    suites: (configured?.suites ?? []).map((suite) => ({
      name: suite.name,
      title: suite.title ?? suite.name,
      description: suite.description ?? "",
      format: suite.format,
      timeoutSeconds: suite.timeoutSeconds,
      command: commandText(suite.command),
    })),
  };
}

function requireSuite(deps: Deps, name: string): ConfiguredSuite {
  const suite = deps.suites?.suites.find((s) => s.name === name);
  if (!suite) {
    throw new DomainError(
      "NOT_FOUND",
      `No suite named "${name}" is configured${deps.suites?.file ? ` in ${path.basename(deps.suites.file)}` : ""}`,
      { field: "name" },
    );
  }
  return suite;
}

/**
 * Starts a run of a configured suite: its command runs as a child process in its own process group,
 * its output and results are written as they come and shown live, and it ends at its own exit, at a
 * cancel or at the suite's timeout (the whole group is stopped). One run of a suite at a time per
 * project.
 */
export function startSuite(deps: Deps, projectId: string, name: string, actor: Actor): SuiteRun {
  const suite = requireSuite(deps, name);
  const now = deps.clock.now();
  const events: ChangeEvent[] = [];
  const row = deps.db.transaction((tx) => {
    // A run nothing watches any more (its end could not be written) must not block the suite.
    const running = tx
      .select()
      .from(suiteRuns)
      .where(and(eq(suiteRuns.projectId, projectId), eq(suiteRuns.suiteName, name), eq(suiteRuns.status, "running")))
      .all();
    const watched = running.find((r) => deps.state.runningSuites.has(r.id));
    if (watched)
      throw new DomainError("CONFLICT", `"${name}" is already running (run ${watched.id}); cancel it or wait`);
    if (deps.state.runningSuites.size >= LIMITS.serverRunningSuites) {
      throw new DomainError(
        "TOO_MANY_REQUESTS",
        `${deps.state.runningSuites.size} test suites are running on this server, the most at once; start "${name}" once one ends`,
      );
    }
    for (const unwatched of running) events.push(endUnwatchedRun(deps.state, tx, unwatched, now).event);
    const created = tx
      .insert(suiteRuns)
      .values({
        id: newId(),
        projectId,
        suiteName: suite.name,
        suiteTitle: suite.title ?? suite.name,
        status: "running",
        startedBy: actor.name,
        startedAt: now,
      })
      .returning()
      .get();
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "suite.started", target: suite.name, detail: { runId: created.id } },
      now,
    );
    events.push(suiteRunChange(deps.state, tx, created, "created", now));
    return created;
  });
  publishChanges(deps, events);
  launch(deps, suite, row);
  return toSuiteRun(row);
}

/** Why a suite's command was stopped at shutdown: the run ends as an error saying so. */
const TOWER_STOPPING = "Tower stopped while this suite ran; its command was stopped; start it again";

/**
 * Runs the command in the background; its end is written by the recorder and audited. Whatever
 * fails (the recording, the runner itself), the run ends: it never stays `running`.
 */
function launch(deps: Deps, suite: ConfiguredSuite, row: SuiteRunRow) {
  const abort = new AbortController();
  // A recording that fails stops the command: nothing it did from then on would be kept.
  const recorder = new SuiteRecorder(deps, row.id, () => abort.abort());
  const startedAt = performance.now();
  const done = runSuiteProcess(suite, {
    env: deps.suites!.env,
    signal: abort.signal,
    onOutput: (line, stream) => recorder.output(line, stream),
    onUpdate: (update) => recorder.update(update),
    // Kept at once, not with the next flush: a crash from here on leaves the group running, and
    // the next start stops it (endInterruptedSuiteRuns). Not part of the run people see.
    onSpawn: (processGroup) =>
      deps.db
        .update(suiteRuns)
        .set({ processGroup, processStartTime: processStartTime(processGroup) })
        .where(eq(suiteRuns.id, row.id))
        .run(),
  })
    .then(
      (result) => ({
        end: {
          status: result.outcome,
          exitCode: result.exitCode,
          signal: result.signal,
          problems: result.problems,
          durationMs: Math.round(result.durationMs),
        },
        counts: result.counts,
      }),
      // It never rejects for the command's failures; a bug of its own still ends the run.
      (error: unknown) => ({
        end: {
          status: "error" as const,
          problems: [`The run failed: ${error instanceof Error ? error.message : String(error)}`],
          durationMs: Math.round(performance.now() - startedAt),
        },
        counts: {},
      }),
    )
    .then(({ end, counts }) => {
      // Stopped because Tower stops, not by a person: an error that says so, not a cancel.
      if (end.status === "cancelled" && abort.signal.reason === TOWER_STOPPING) {
        end = { ...end, status: "error", problems: [...end.problems, TOWER_STOPPING] };
      }
      const status = recorder.close({ ...end, finishedAt: deps.clock.now() });
      deps.db.transaction((tx) =>
        appendAudit(
          deps,
          tx,
          row.projectId,
          SYSTEM_ACTOR,
          { operation: `suite.${status}`, target: suite.name, detail: { runId: row.id, ...counts } },
          deps.clock.now(),
        ),
      );
    })
    // Only a database that refuses even the run's end gets here; a later start or cancel ends it.
    .catch((error: unknown) => deps.logger.error({ err: error, suite: suite.name, runId: row.id }, "suite run failed"))
    .finally(() => deps.state.runningSuites.delete(row.id));
  deps.state.runningSuites.set(row.id, { abort, done });
}

/**
 * Cancels a running suite: its process group is stopped and the run ends `cancelled`. A run the
 * database calls running but nothing watches ends at once, as an error.
 */
export function cancelSuiteRun(deps: Deps, projectId: string, id: string, actor: Actor): SuiteRun {
  const row = requireSuiteRun(deps.db, projectId, id);
  if (row.status !== "running") throw new DomainError("CONFLICT", `This run already ended (${row.status})`);
  const running = deps.state.runningSuites.get(id);
  // Its command is being stopped: the first cancel stands, and the run ends `cancelled` shortly.
  if (running?.abort.signal.aborted) throw new DomainError("CONFLICT", "This run is already being cancelled");
  const now = deps.clock.now();
  // A run nothing watches any more (its end could not be written) is ended here instead.
  const unwatched = deps.db.transaction((tx) => {
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "suite.cancel", target: row.suiteName, detail: { runId: id } },
      now,
    );
    return running ? null : endUnwatchedRun(deps.state, tx, row, now);
  });
  if (!unwatched) {
    running!.abort.abort();
    return toSuiteRun(row);
  }
  publishChanges(deps, [unwatched.event]);
  return toSuiteRun(unwatched.row);
}

/** Stops every running suite (server shutdown) and waits until each has ended and been recorded. */
export async function stopAllSuites(deps: Deps): Promise<void> {
  const running = [...deps.state.runningSuites.values()];
  for (const run of running) run.abort.abort(TOWER_STOPPING);
  await Promise.allSettled(running.map((run) => run.done));
}

/**
 * Runs left `running` by a server that stopped without ending them (a crash): nothing watches them
 * any more, and their commands outlived it (their timeout died with it). Each command's process
 * group, when it is still the one that run started, is killed first; then the run ends as `error`,
 * saying why. Called at startup, before any suite can start again.
 */
export function endInterruptedSuiteRuns(deps: Deps): { ended: number } {
  const now = deps.clock.now();
  const events: ChangeEvent[] = [];
  deps.db.transaction((tx) => {
    const rows = tx.select().from(suiteRuns).where(eq(suiteRuns.status, "running")).all();
    for (const row of rows) {
      const stopped = row.processGroup !== null && killOrphanedGroup(row.processGroup, row.processStartTime);
      const problem = stopped
        ? "Tower stopped while this suite ran; its command was stopped; start it again"
        : "Tower stopped while this suite ran; start it again";
      events.push(endRunAsError(deps.state, tx, row, [problem], now).event);
    }
  });
  publishChanges(deps, events);
  return { ended: events.length };
}

export function listSuiteRuns(
  { db }: Deps,
  projectId: string,
  input: { suite?: string; limit: number; cursor?: string | null },
): { items: SuiteRun[]; nextCursor: string | null } {
  const rows = db
    .select()
    .from(suiteRuns)
    .where(
      and(
        eq(suiteRuns.projectId, projectId),
        input.suite ? eq(suiteRuns.suiteName, input.suite) : undefined,
        input.cursor ? lt(suiteRuns.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(suiteRuns.id))
    .limit(input.limit + 1)
    .all();
  const items = rows.slice(0, input.limit).map(toSuiteRun);
  return { items, nextCursor: rows.length > input.limit ? items.at(-1)!.id : null };
}

export const getSuiteRun = ({ db }: Deps, projectId: string, id: string): SuiteRun =>
  toSuiteRun(requireSuiteRun(db, projectId, id));

/** A run's results in the order reported, after `afterId`; `status: "failed"` lists the failures with their messages. */
export function listSuiteResults(
  { db }: Deps,
  projectId: string,
  input: { id: string; status?: TestStatus; afterId: number; limit: number },
): { items: SuiteTestResult[]; nextAfterId: number | null } {
  requireSuiteRun(db, projectId, input.id);
  const rows = db
    .select()
    .from(suiteResults)
    .where(
      and(
        eq(suiteResults.runId, input.id),
        input.status ? eq(suiteResults.status, input.status) : undefined,
        gt(suiteResults.id, input.afterId),
      ),
    )
    .orderBy(asc(suiteResults.id))
    .limit(input.limit + 1)
    .all();
  const items = rows.slice(0, input.limit);
  return { items, nextAfterId: rows.length > input.limit ? items.at(-1)!.id : null };
}

/** What the command printed, after `afterId` (the run's changes say when `outputLines` grew). */
export function listSuiteOutput(
  { db }: Deps,
  projectId: string,
  input: { id: string; afterId: number; limit: number },
): { items: SuiteOutputLine[]; nextAfterId: number | null } {
  requireSuiteRun(db, projectId, input.id);
  const rows = db
    .select({ id: suiteOutput.id, stream: suiteOutput.stream, line: suiteOutput.line })
    .from(suiteOutput)
    .where(and(eq(suiteOutput.runId, input.id), gt(suiteOutput.id, input.afterId)))
    .orderBy(asc(suiteOutput.id))
    .limit(input.limit + 1)
    .all();
  const items = rows.slice(0, input.limit);
  return { items, nextAfterId: rows.length > input.limit ? items.at(-1)!.id : null };
}
