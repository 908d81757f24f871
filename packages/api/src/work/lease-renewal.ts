import { runs } from "@tower/db";
import { inArray, sql } from "drizzle-orm";
import type { Deps } from "../core/deps";

/**
 * Every run an agent holds gets a whole lease from now: at startup, before the first sweep, and
 * when Tower finds it did not run for a while (stopped, a paused VM, a disk that hung). While Tower
 * was down or stalled no agent could renew, so a lease that ran out meanwhile says nothing about
 * its agent; taking the run back at the next sweep failed or re-ran work whose agent was alive and
 * had finished it (its completion, retried through the outage, then refused). An agent that did
 * die loses its runs one lease later instead.
 */
export function renewHeldLeases(deps: Deps): { renewed: number } {
  const until = deps.clock.now() + deps.work.leaseMs;
  const { changes } = deps.db
    .update(runs)
    .set({ leaseExpiresAt: sql`max(coalesce(${runs.leaseExpiresAt}, 0), ${until})` })
    .where(inArray(runs.status, ["leased", "running"]))
    .run();
  return { renewed: changes };
}
