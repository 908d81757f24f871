import type { IngestResult } from "@tower/shared";
import { wakeAuditTails } from "../core/audit-chain";
import { bulkTurn } from "../core/bulk-lane";
import { prepareToPublish, publishChanges } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";
import type { Deps } from "../core/deps";
import type { CheckedReport, IngestBatch } from "../core/ports";
import { checkReports, refuseOtherAgents } from "./check-reports";
import { RawReports } from "./raw-reports";

/** Reports checked between two turns of the event loop (about a millisecond of work). */
const CHECK_SLICE = 100;

/**
 * Checks reports a slice at a time, one slice per turn of the event loop (core/bulk-lane.ts):
 * ingest is bulk work, and a policy check or a dashboard query waiting behind batches of 1,000
 * reports would wait for all of them (at 1,000 checks/s during full ingest, hundreds of ms).
 */
async function checkReportsInTurns(state: ConnectionState, items: unknown[]): Promise<CheckedReport[]> {
  const checked: CheckedReport[] = [];
  for (let i = 0; i < items.length; i += CHECK_SLICE) {
    await bulkTurn(state.bulkLane);
    checked.push(...checkReports(items.slice(i, i + CHECK_SLICE)));
  }
  return checked;
}

/**
 * Stores a batch of reports (parsed, or raw for the writer to parse: see raw-reports.ts); resolves
 * after the commit that made them durable, once its changes are published and the project's live
 * audit tails are woken.
 */
export async function ingestReports(
  deps: Deps,
  projectId: string,
  reports: unknown[] | RawReports,
  {
    actsAs = null,
    via = null,
  }: {
    /** An agent key's agents: a report as any other agent is refused (alone, like any bad report). */
    actsAs?: readonly string[] | null;
    /** The reporting key's prefix, recorded with each event. */
    via?: string | null;
  } = {},
): Promise<IngestResult> {
  prepareToPublish(deps);
  const batch: Pick<IngestBatch, "items" | "raw"> =
    reports instanceof RawReports
      ? { items: [], raw: { bytes: reports.bytes, items: reports.items, actsAs } }
      : { items: refuseOtherAgents(await checkReportsInTurns(deps.state, reports), actsAs) };
  // Handing parsed reports over copies them to the writer thread: bulk work too (a raw body is one
  // copy of its bytes, nothing to walk).
  if (!batch.raw) await bulkTurn(deps.state.bulkLane);
  const { result, events, auditAppended } = await deps.ingestWriter.submit({
    projectId,
    ...batch,
    now: deps.clock.now(),
    via,
  });
  publishChanges(deps, events);
  if (auditAppended) wakeAuditTails(deps, projectId);
  return result;
}
