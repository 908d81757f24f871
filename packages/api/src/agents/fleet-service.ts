import { agents, projects } from "@tower/db";
import type { Actor, ChangeEvent, FleetBulkResult } from "@tower/shared";
import { and, eq, ne } from "drizzle-orm";
import { assertMayEnable, type ProjectAccess } from "../core/access";
import { appendAudit } from "../core/audit-chain";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { setEnabledTx } from "./agent-writes";

function setAll(deps: Deps, projectId: string, enabled: boolean, actor: Actor): FleetBulkResult {
  const now = deps.clock.now();
  const events = deps.db.transaction((tx) => {
    const targets = tx
      .select()
      .from(agents)
      .where(
        and(eq(agents.projectId, projectId), enabled ? eq(agents.status, "disabled") : ne(agents.status, "disabled")),
      )
      .all();
    const events = targets
      .map((agent) => setEnabledTx(deps.state, tx, agent, enabled, now).event)
      .filter((e): e is ChangeEvent => e !== null);
    const operation = enabled ? "fleet.activateAll" : "fleet.deactivateAll";
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation, target: "all agents", detail: { changed: events.length } },
      now,
    );
    return events;
  });
  publishChanges(deps, events);
  return { changed: events.length };
}

/** Recovery from the kill switch: for people (see `assertMayEnable`). */
export function activateAll(deps: Deps, access: ProjectAccess, actor: Actor): FleetBulkResult {
  assertMayEnable(access, actor);
  return setAll(deps, access.projectId, true, actor);
}

/** The kill switch: disables every agent of the project, once its name has been typed back. */
export function deactivateAll(deps: Deps, projectId: string, confirm: string, actor: Actor): FleetBulkResult {
  const project = deps.db.select({ name: projects.name }).from(projects).where(eq(projects.id, projectId)).get();
  if (!project || confirm !== project.name) {
    // Never says the name: whoever must type it back sees it in the dashboard.
    throw new DomainError("BAD_REQUEST", "Type the project's name exactly as the dashboard shows it", {
      field: "confirm",
    });
  }
  const result = setAll(deps, projectId, false, actor);
  deps.logger.warn({ projectId, changed: result.changed }, "kill switch: every agent deactivated");
  return result;
}
