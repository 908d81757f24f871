import { agents, projects } from "@tower/db";
import type { ChangeEvent, FleetBulkResult } from "@tower/shared";
import { and, eq, ne } from "drizzle-orm";
import type { Deps } from "../context";
import { DomainError } from "../errors";
import { setEnabledTx } from "./agent-writes";

function setAll(deps: Deps, projectId: string, enabled: boolean): FleetBulkResult {
  const now = deps.clock.now();
  const events = deps.db.transaction((tx) => {
    const targets = tx
      .select()
      .from(agents)
      .where(
        and(eq(agents.projectId, projectId), enabled ? eq(agents.status, "disabled") : ne(agents.status, "disabled")),
      )
      .all();
    return targets
      .map((agent) => setEnabledTx(tx, agent, enabled, now).event)
      .filter((e): e is ChangeEvent => e !== null);
  });
  for (const event of events) deps.bus.publish(event);
  return { changed: events.length };
}

export function activateAll(deps: Deps, projectId: string): FleetBulkResult {
  return setAll(deps, projectId, true);
}

/** The kill switch: disables every agent of the project, once its name has been typed back. */
export function deactivateAll(deps: Deps, projectId: string, confirm: string): FleetBulkResult {
  const project = deps.db.select({ name: projects.name }).from(projects).where(eq(projects.id, projectId)).get();
  if (!project || confirm !== project.name) {
    throw new DomainError(
      "BAD_REQUEST",
      `confirm: Type the project name "${project?.name ?? ""}" to deactivate every agent`,
    );
  }
  const result = setAll(deps, projectId, false);
  deps.logger.warn({ projectId, changed: result.changed }, "kill switch: every agent deactivated");
  return result;
}
