import type { Approval } from "@tower/shared";
import type { ProjectAccess } from "../core/access";
import { latestChangeId } from "../core/change-feed";
import { streamChanges } from "../core/change-stream";
import type { Caller, Deps } from "../core/deps";
import { expireApprovals, getApproval } from "./approval-service";

/**
 * Waits for an approval's outcome: yields it once, when it is no longer pending (at once if it
 * already is not), and ends. Resumable by id: an agent that reconnects, or restarts and asks
 * again, waits on the same approval. At its expiry the approval is expired here, not only by the sweep.
 */
export async function* waitForApproval(
  deps: Deps,
  access: ProjectAccess,
  caller: Caller,
  id: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<Approval> {
  // The feed's position before reading the row: a decision committed in between is replayed.
  const from = latestChangeId(deps.state, deps.db, access.projectId);
  const current = getApproval(deps, access, id);
  if (current.status !== "pending") {
    if (current.status === "expired") expireApprovals(deps, { projectId: access.projectId, id });
    yield current;
    return;
  }
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener("abort", onAbort);
  const timer = setTimeout(
    () => expireApprovals(deps, { projectId: access.projectId, id }),
    Math.max(0, current.expiresAt - deps.clock.now()) + 5,
  );
  timer.unref?.();
  try {
    const changes = streamChanges(deps, {
      projectId: access.projectId,
      entity: "approval",
      entityId: id,
      lastEventId: from,
      signal: stop.signal,
      caller,
    });
    for await (const change of changes) {
      if (change.data.status !== "pending") {
        yield change.data;
        return;
      }
    }
  } finally {
    clearTimeout(timer);
    stop.abort();
    signal?.removeEventListener("abort", onAbort);
  }
}
