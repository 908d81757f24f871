import { tasks } from "@tower/db";
import type { Actor, ChangeEvent, Task, TaskTarget } from "@tower/shared";
import { and, asc, eq, gt, isNotNull, sql, type SQL } from "drizzle-orm";
import { appendAudit } from "../core/audit-chain";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { newId } from "../core/tokens";
import { assertSchedule, assertTimeZone, nextFireAfter, parseSchedule } from "./schedule";
import { findTaskByName, requireTask, taskChange, taskDeleted, toTask, type TaskRow } from "./task-rows";
import { escapeLike } from "../core/like";

export interface TaskFields {
  name: string;
  description: string;
  target: TaskTarget;
  input: Record<string, unknown>;
  priority: number;
  maxAttempts: number;
  backoffSeconds: number;
  maxDurationSeconds: number;
  queuedTtlSeconds: number | null;
  cron: string | null;
  timezone: string;
  missedFires: "run_once" | "skip";
  paused: boolean;
}

function assertNameFree(deps: Deps, projectId: string, name: string, exceptId?: string) {
  const clash = findTaskByName(deps.db, projectId, name);
  if (clash && clash.id !== exceptId) {
    throw new DomainError("CONFLICT", `A task named "${name}" already exists in this project`, { field: "name" });
  }
}

/** The stored next fire: none without a schedule or while paused, else the first after `now`. */
function nextFire(fields: Pick<TaskFields, "cron" | "timezone" | "paused">, now: number): number | null {
  if (fields.cron === null || fields.paused) return null;
  return nextFireAfter(fields.cron, fields.timezone, now);
}

function targetColumns(target: TaskTarget) {
  return { targetKind: target.kind, targetValue: target.kind === "any" ? null : target.value };
}

export function createTask(deps: Deps, projectId: string, fields: TaskFields, actor: Actor): Task {
  const now = deps.clock.now();
  if (fields.cron !== null) assertSchedule(fields.cron, fields.timezone, now);
  else assertTimeZone(fields.timezone);
  let event: ChangeEvent | null = null;
  const task = deps.db.transaction((tx) => {
    assertNameFree(deps, projectId, fields.name);
    const { target, ...rest } = fields;
    const row = tx
      .insert(tasks)
      .values({
        ...rest,
        ...targetColumns(target),
        id: newId(),
        projectId,
        nextFireAt: nextFire(fields, now),
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "task.created", target: row.name, detail: { taskId: row.id, cron: row.cron, target } },
      now,
    );
    event = taskChange(deps.state, tx, row, "created", now);
    return toTask(row);
  });
  publishChanges(deps, [event]);
  return task;
}

/** Changes the fields given; a new schedule, time zone or un-pausing computes the next fire afresh. */
export function updateTask(
  deps: Deps,
  projectId: string,
  id: string,
  changes: Partial<TaskFields>,
  actor: Actor,
): Task {
  const now = deps.clock.now();
  let event: ChangeEvent | null = null;
  const task = deps.db.transaction((tx) => {
    const before = requireTask(tx, projectId, id);
    if (changes.name !== undefined) assertNameFree(deps, projectId, changes.name, id);
    const merged = { ...toTask(before), ...changes };
    // The zone is checked whenever given, with or without a schedule; one saved before zones were
    // checked is named as such when a schedule now needs it. A cron given must fire some day.
    if (changes.timezone !== undefined) assertTimeZone(changes.timezone);
    else if (merged.cron !== null) assertTimeZone(before.timezone, true);
    if (merged.cron !== null) {
      if (changes.cron !== undefined) assertSchedule(merged.cron, merged.timezone, now);
      else parseSchedule(merged.cron, merged.timezone);
    }
    const scheduleChanged =
      merged.cron !== before.cron || merged.timezone !== before.timezone || merged.paused !== before.paused;
    const { target, ...rest } = changes;
    const row = tx
      .update(tasks)
      .set({
        ...rest,
        ...(target ? targetColumns(target) : {}),
        ...(scheduleChanged ? { nextFireAt: nextFire(merged, now) } : {}),
        updatedAt: now,
      })
      .where(eq(tasks.id, id))
      .returning()
      .get()!;
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      {
        operation: pauseOnly(changes) ? (changes.paused ? "task.paused" : "task.resumed") : "task.updated",
        target: row.name,
        detail: { taskId: id, fields: Object.keys(changes) },
      },
      now,
    );
    event = taskChange(deps.state, tx, row, "updated", now);
    return toTask(row);
  });
  publishChanges(deps, [event]);
  return task;
}

/** Pausing and resuming are their own entries in the audit trail. */
const pauseOnly = (changes: Partial<TaskFields>) => changes.paused !== undefined && Object.keys(changes).length === 1;

/** Removes the task; its runs stay in the history (with the task's name), queued ones included. */
export function deleteTask(deps: Deps, projectId: string, id: string, actor: Actor): { id: string } {
  const now = deps.clock.now();
  let event: ChangeEvent | null = null;
  deps.db.transaction((tx) => {
    const row = requireTask(tx, projectId, id);
    tx.delete(tasks).where(eq(tasks.id, id)).run();
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "task.deleted", target: row.name, detail: { taskId: id } },
      now,
    );
    event = taskDeleted(deps.state, tx, row, now);
  });
  publishChanges(deps, [event]);
  return { id };
}

export function getTask({ db }: Deps, projectId: string, id: string): Task {
  return toTask(requireTask(db, projectId, id));
}

/** By name (A to Z), a page at a time; `scheduled` keeps only tasks with a schedule. */
export function listTasks(
  { db }: Deps,
  projectId: string,
  input: { search?: string; scheduled?: boolean; limit: number; cursor?: string | null },
): { items: Task[]; nextCursor: string | null } {
  const where: (SQL | undefined)[] = [eq(tasks.projectId, projectId)];
  if (input.search) where.push(sql`${tasks.name} like ${`%${escapeLike(input.search)}%`} escape '\\'`);
  if (input.scheduled) where.push(isNotNull(tasks.cron));
  if (input.cursor) where.push(gt(tasks.name, input.cursor));
  const rows: TaskRow[] = db
    .select()
    .from(tasks)
    .where(and(...where))
    .orderBy(asc(tasks.name))
    .limit(input.limit + 1)
    .all();
  const items = rows.slice(0, input.limit).map(toTask);
  return { items, nextCursor: rows.length > input.limit ? items.at(-1)!.name : null };
}
