/**
 * Bulk work (checking a batch of reports) takes turns with everything else on the event loop: one
 * slice of it per turn of the loop, across all requests, after the I/O that is waiting. A policy
 * check or a dashboard query that arrives during full ingest then waits for one slice (about a
 * millisecond), not for every batch in flight: `setImmediate` alone would run one slice of each
 * waiting batch back to back before the loop looks at I/O again.
 */
export interface BulkLane {
  waiting: (() => void)[];
  scheduled: boolean;
}

export function createBulkLane(): BulkLane {
  return { waiting: [], scheduled: false };
}

/** Resolves when it is this caller's turn for one slice of bulk work (`lane`: `deps.state.bulkLane`). */
export function bulkTurn(lane: BulkLane): Promise<void> {
  return new Promise((resolve) => {
    lane.waiting.push(resolve);
    if (!lane.scheduled) schedule(lane);
  });
}

function schedule(lane: BulkLane) {
  lane.scheduled = true;
  setImmediate(() => {
    lane.scheduled = false;
    lane.waiting.shift()?.();
    // An immediate scheduled now runs on the next turn of the loop, after its I/O.
    if (lane.waiting.length > 0) schedule(lane);
  });
}
