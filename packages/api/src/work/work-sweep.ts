import { runs, tasks, type DbOrTx } from "@tower/db";
import type { ChangeEvent } from "@tower/shared";
import { and, asc, eq, inArray, lte, sql, type SQL } from "drizzle-orm";
import type { ConnectionState } from "../core/connection-state";
import { prepared, slot } from "../core/prepared";
import { SYSTEM_ACTOR } from "../core/actor";
import { appendAudit } from "../core/audit-chain";
import type { Deps } from "../core/deps";
import { insertRunTx, targetOf } from "./run-enqueue";
import { handToWaitingAgents, publishAndHandOver, type Handoff } from "./run-handoff";
import { requeueOrEnd } from "./run-requeue";
import { runChange } from "./run-rows";
import { DISABLED_TAKEBACK } from "./run-takeback";
import { missedFires, nextFireAfter } from "./schedule";
import { taskChange } from "./task-rows";
import { advanceWorkflowTx } from "./workflow-runs";

/** Rows one sweep handles of each kind; the rest wait for the next tick. */
const PAGE = 500;

/**
 * A fire found later than this was missed (Tower was down, or stalled): the task's `missedFires`
 * decides whether it runs once now or is skipped, and either way the trail records it. A fire found
 * sooner is simply on time.
 */
export const MISSED_FIRE_GRACE_MS = 5_000;

const LAPSED = "The lease lapsed";
const OVERRAN = "Timed out";

/** Whether a run's error says Tower took it back (the sweep, or its agent was disabled) rather than its agent failing it. */
export function isTakenBackError(error: string): boolean {
  return error.startsWith(LAPSED) || error.startsWith(OVERRAN) || error.startsWith(DISABLED_TAKEBACK);
}

export interface SweepCounts {
  fired: number;
  missed: number;
  /** Fires that made no run: their task's previous scheduled run is still waiting for an agent. */
  coalesced: number;
  lapsed: number;
  timedOut: number;
  expired: number;
}

/**
 * One turn of the work clock, called a few times a second by the server (and by tests with their
 * own clock): fires due schedules, takes back runs whose lease lapsed or whose attempt overran, and
 * expires queued runs past their time to live. Everything it decides is in the database, so a
 * restart resumes where it stopped: a fire is made once (its run and the task's next fire time are
 * written together), a lapsed lease is found by the next sweep.
 */
export function sweepWork(deps: Deps): SweepCounts {
  const now = deps.clock.now();
  if (!anythingDue(deps.db, now)) return { fired: 0, missed: 0, coalesced: 0, lapsed: 0, timedOut: 0, expired: 0 };
  const events: ChangeEvent[] = [];
  const handoffs: Handoff[] = [];
  const counts = deps.db.transaction((tx) => {
    // Expired first: a scheduled run past its time to live no longer holds its schedule back.
    const expired = expireQueued(deps, tx, now, events);
    return { ...fireSchedules(deps, tx, now, events, handoffs), ...takeBackRuns(deps, tx, now, events), expired };
  });
  publishAndHandOver(deps, events, handoffs);
  return counts;
}

/** What each part of a sweep looks for at `now`. */
const held = inArray(runs.status, ["leased", "running"]);
const dueWhere = {
  fire: (now: number) => lte(tasks.nextFireAt, now),
  lapsed: (now: number) => and(held, lte(runs.leaseExpiresAt, now)),
  overran: (now: number) => and(held, lte(runs.deadlineAt, now)),
  expired: (now: number) => and(eq(runs.status, "queued"), lte(runs.expiresAt, now)),
};

/**
 * Whether a sweep has anything to do, read without a transaction: most sweeps find nothing, and a
 * write transaction on the event loop waits for the ingest writer's commit in progress (WriteGate),
 * several milliseconds during full ingest, four times a second, stalling every call behind it.
 */
function anythingDue(db: DbOrTx, now: number): boolean {
  const any = (table: typeof tasks | typeof runs, where: SQL | undefined) =>
    db
      .select({ one: sql`1` })
      .from(table)
      .where(where)
      .limit(1)
      .get() !== undefined;
  return (
    any(tasks, dueWhere.fire(now)) ||
    any(runs, dueWhere.lapsed(now)) ||
    any(runs, dueWhere.overran(now)) ||
    any(runs, dueWhere.expired(now))
  );
}

/** The task's scheduled run still waiting for an agent, if any. */
function waitingScheduledRun(state: ConnectionState, tx: DbOrTx, taskId: string): string | undefined {
  return prepared(state, "runs.waitingScheduled", () =>
    tx
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.taskId, slot("taskId")), eq(runs.status, "queued"), eq(runs.trigger, "schedule")))
      .limit(1)
      .prepare(),
  ).get({ taskId })?.id;
}

/**
 * Makes each due fire's run, leased at once to an agent waiting for it if there is one
 * (run-handoff.ts). A fire whose task still has a scheduled run waiting for an agent makes none: a
 * schedule nobody takes (its agent offline, all busy) keeps one run waiting, not one per fire (a
 * per-second task would queue 86,400 a day, all run back to back when an agent comes).
 */
function fireSchedules(deps: Deps, tx: DbOrTx, now: number, events: ChangeEvent[], handoffs: Handoff[]) {
  const due = tx.select().from(tasks).where(dueWhere.fire(now)).orderBy(asc(tasks.nextFireAt)).limit(PAGE).all();
  let fired = 0;
  let missed = 0;
  let coalesced = 0;
  for (const task of due) {
    const fireAt = task.nextFireAt!;
    const late = now - fireAt > MISSED_FIRE_GRACE_MS;
    const wanted = !late || task.missedFires === "run_once";
    const waiting = wanted ? waitingScheduledRun(deps.state, tx, task.id) : undefined;
    const created =
      wanted && waiting === undefined
        ? insertRunTx(deps.state, tx, task, { trigger: "schedule", scheduledFor: fireAt }, now)
        : null;
    if (created) {
      fired++;
      const handoff = handToWaitingAgents(deps, tx, task.projectId, targetOf(task), 1);
      events.push(created.event, ...handoff.events);
      handoffs.push(handoff);
    }
    if (waiting !== undefined) coalesced++;
    if (late) {
      missed++;
      // Every fire missed, not only the first: "skip" skips them all, and the trail says how many.
      const all = task.cron === null ? null : missedFires(task.cron, task.timezone, fireAt, now);
      appendAudit(
        deps,
        tx,
        task.projectId,
        SYSTEM_ACTOR,
        {
          operation: task.missedFires === "skip" ? "task.fire_skipped" : "task.fire_caught_up",
          target: task.name,
          // A catch-up that found the previous fire's run still waiting: that run is the catch-up.
          detail: {
            taskId: task.id,
            missedFireAt: fireAt,
            missedFires: all?.count ?? 1,
            ...(all?.more ? { missedFiresAtLeast: true } : {}),
            lastMissedFireAt: all?.last ?? fireAt,
            runId: created?.row.id ?? waiting ?? null,
          },
        },
        now,
      );
    }
    // On time: the fire after this one (a tick a little late still makes each fire). Late: the
    // first fire after now, so a long downtime is one catch-up, not a burst.
    let next = task.cron === null ? null : nextFireAfter(task.cron, task.timezone, fireAt);
    if (late && next !== null && next <= now) next = nextFireAfter(task.cron!, task.timezone, now);
    const updated = tx
      .update(tasks)
      .set({ nextFireAt: next, lastFiredAt: created ? fireAt : task.lastFiredAt })
      .where(eq(tasks.id, task.id))
      .returning()
      .get()!;
    events.push(taskChange(deps.state, tx, updated, "updated", now));
  }
  return { fired, missed, coalesced };
}

/** Runs whose agent stopped heartbeating (lease lapsed) or whose attempt overran its maximum duration. */
function takeBackRuns(deps: Deps, tx: DbOrTx, now: number, events: ChangeEvent[]) {
  const lapsed = tx.select().from(runs).where(dueWhere.lapsed(now)).limit(PAGE).all();
  for (const row of lapsed) {
    const error = `${LAPSED}: ${row.agentName ?? "the agent"} stopped heartbeating`;
    const updated = requeueOrEnd(tx, row, { error, ending: "failed" }, now);
    events.push(runChange(deps.state, tx, updated, "updated", now), ...advanceWorkflowTx(deps, tx, updated, now));
  }
  const overran = tx.select().from(runs).where(dueWhere.overran(now)).limit(PAGE).all();
  for (const row of overran) {
    const error = `${OVERRAN}: the attempt took longer than ${row.maxDurationSeconds} s`;
    const updated = requeueOrEnd(tx, row, { error, ending: "timed_out" }, now);
    events.push(runChange(deps.state, tx, updated, "updated", now), ...advanceWorkflowTx(deps, tx, updated, now));
  }
  return { lapsed: lapsed.length, timedOut: overran.length };
}

function expireQueued(deps: Deps, tx: DbOrTx, now: number, events: ChangeEvent[]): number {
  const expired = tx
    .update(runs)
    .set({ status: "expired", finishedAt: sql`${runs.expiresAt}`, error: "No agent took it in time", updatedAt: now })
    .where(inArray(runs.id, tx.select({ id: runs.id }).from(runs).where(dueWhere.expired(now)).limit(PAGE)))
    .returning()
    .all();
  for (const row of expired) {
    events.push(runChange(deps.state, tx, row, "updated", now), ...advanceWorkflowTx(deps, tx, row, now));
  }
  return expired.length;
}
