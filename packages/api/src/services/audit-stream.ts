import { auditEvents } from "@tower/db";
import type { AuditEvent } from "@tower/shared";
import { and, asc, eq, gt, max } from "drizzle-orm";
import { credentialIdOf, type Caller, type Deps } from "../context";
import { isCallerStillValid } from "./access";

const PAGE = 500;

/**
 * A live tail of the project's audit trail, resumable from the last row id seen: it listens for
 * wake-ups first, then reads every row after the last one sent, and reads again on each wake-up.
 */
export async function* streamAudit(
  deps: Deps,
  projectId: string,
  lastEventId: string | null | undefined,
  signal: AbortSignal | undefined,
  caller: Caller,
): AsyncGenerator<AuditEvent> {
  let woken = true;
  let revoked = false;
  let wake: (() => void) | undefined;
  const credentialId = credentialIdOf(caller);
  const stopRevocations = deps.bus.subscribeRevocations((id) => {
    if (id !== credentialId) return;
    revoked = true;
    wake?.();
  });
  const unsubscribe = deps.bus.subscribe(projectId, (event) => {
    if (event.entity !== "audit") return;
    woken = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    let sent =
      lastEventId != null
        ? Number(lastEventId)
        : (deps.db
            .select({ id: max(auditEvents.id) })
            .from(auditEvents)
            .where(eq(auditEvents.projectId, projectId))
            .get()?.id ?? 0);
    if (!isCallerStillValid(deps, caller)) revoked = true;
    while (!signal?.aborted && !revoked) {
      if (!woken) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      woken = false;
      for (;;) {
        const page = deps.db
          .select()
          .from(auditEvents)
          .where(and(eq(auditEvents.projectId, projectId), gt(auditEvents.id, sent)))
          .orderBy(asc(auditEvents.id))
          .limit(PAGE)
          .all() as AuditEvent[];
        for (const row of page) {
          sent = row.id;
          yield row;
        }
        if (page.length < PAGE) break;
      }
    }
  } finally {
    unsubscribe();
    stopRevocations();
    signal?.removeEventListener("abort", onAbort);
  }
}
