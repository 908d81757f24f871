import { runLogs, runs } from "@tower/db";
import type { Run, RunLogLine, RunStatus } from "@tower/shared";
import { and, asc, desc, eq, gt, lt, or, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { ProjectAccess } from "../core/access";
import { DomainError } from "../core/errors";
import type { Deps } from "../core/deps";
import { requireRun, toRun, type RunRow } from "./run-rows";
import { escapeLike } from "../core/like";

/** Newest first, filtered by status, task, agent and a search of task name, agent name and error. */
export function listRuns(
  { db }: Deps,
  projectId: string,
  input: {
    status?: RunStatus;
    taskId?: string;
    agentId?: string;
    search?: string;
    limit: number;
    cursor?: string | null;
  },
): { items: Run[]; nextCursor: string | null } {
  const where: (SQL | undefined)[] = [eq(runs.projectId, projectId)];
  if (input.status) where.push(eq(runs.status, input.status));
  if (input.taskId) where.push(eq(runs.taskId, input.taskId));
  if (input.agentId) where.push(eq(runs.agentId, input.agentId));
  if (input.search) {
    const pattern = `%${escapeLike(input.search)}%`;
    const matches = (column: SQLWrapper) => sql`${column} like ${pattern} escape '\\'`;
    where.push(or(matches(runs.taskName), matches(runs.agentName), matches(runs.error)));
  }
  if (input.cursor) where.push(lt(runs.id, input.cursor));
  const rows: RunRow[] = db
    .select()
    .from(runs)
    .where(and(...where))
    .orderBy(desc(runs.id))
    .limit(input.limit + 1)
    .all();
  const items = rows.slice(0, input.limit).map(toRun);
  return { items, nextCursor: rows.length > input.limit ? items.at(-1)!.id : null };
}

export function getRun(deps: Deps, access: ProjectAccess, id: string): Run {
  const row = requireRun(deps.state, deps.db, access.projectId, id);
  // An agent key sees the runs its agents hold or held, not the rest of the project's work.
  if (access.actsAs && (row.agentName === null || !access.actsAs.includes(row.agentName))) {
    throw new DomainError(
      "FORBIDDEN",
      `This agent key sees only the runs its agents hold (${access.actsAs.join(", ")})`,
    );
  }
  return toRun(row);
}

/** A run's log lines after `afterId`, oldest first (the run's changes say when there are more). */
export function listRunLogs(
  deps: Deps,
  access: ProjectAccess,
  input: { id: string; afterId: number; limit: number },
): { items: RunLogLine[]; nextAfterId: number | null } {
  getRun(deps, access, input.id);
  const rows = deps.db
    .select()
    .from(runLogs)
    .where(and(eq(runLogs.runId, input.id), gt(runLogs.id, input.afterId)))
    .orderBy(asc(runLogs.id))
    .limit(input.limit + 1)
    .all();
  const items = rows.slice(0, input.limit);
  return { items, nextAfterId: rows.length > input.limit ? items.at(-1)!.id : null };
}
