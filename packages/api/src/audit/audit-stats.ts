import { agents, auditEvents } from "@tower/db";
import { BUCKET_MS, type AuditStats, type AuditStatsInputSchema } from "@tower/shared";
import { and, desc, eq, gte, inArray, lt, sql } from "drizzle-orm";
import type { z } from "zod";
import { assertBucketCount } from "../core/buckets";
import type { Deps } from "../core/deps";

/** Audit counts by operation, decision, agent and time bucket over a range. */
export function auditStats({ db }: Deps, projectId: string, input: z.output<typeof AuditStatsInputSchema>): AuditStats {
  const size = BUCKET_MS[input.bucket];
  assertBucketCount(input.from, input.to, size);
  const range = and(
    eq(auditEvents.projectId, projectId),
    gte(auditEvents.at, input.from),
    lt(auditEvents.at, input.to),
  );
  const count = sql<number>`count(*)`;
  const byAgentRows = db
    .select({ agentId: auditEvents.agentId, count })
    .from(auditEvents)
    .where(and(range, sql`${auditEvents.agentId} is not null`))
    .groupBy(auditEvents.agentId)
    .orderBy(desc(count))
    .limit(50)
    .all();
  const ids = byAgentRows.map((row) => row.agentId!);
  const names = new Map(
    ids.length === 0
      ? []
      : db
          .select({ id: agents.id, name: agents.name })
          .from(agents)
          .where(inArray(agents.id, ids))
          .all()
          .map((a) => [a.id, a.name]),
  );
  return {
    byOperation: db
      .select({ operation: auditEvents.operation, count })
      .from(auditEvents)
      .where(range)
      .groupBy(auditEvents.operation)
      .orderBy(desc(count))
      .all(),
    byDecision: db
      .select({
        decision: sql<AuditStats["byDecision"][number]["decision"]>`coalesce(${auditEvents.decision}, 'none')`,
        count,
      })
      .from(auditEvents)
      .where(range)
      .groupBy(sql`1`)
      .orderBy(desc(count))
      .all(),
    byAgent: byAgentRows.map((row) => ({
      agentId: row.agentId!,
      agentName: names.get(row.agentId!) ?? "deleted agent",
      count: row.count,
    })),
    byTime: db
      .select({ start: sql<number>`(${auditEvents.at} / ${sql.raw(String(size))}) * ${sql.raw(String(size))}`, count })
      .from(auditEvents)
      .where(range)
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .all(),
  };
}
