import { projects, type DbOrTx } from "@tower/db";
import type { Actor, ProjectSettings } from "@tower/shared";
import { eq } from "drizzle-orm";
import { appendAudit } from "../core/audit-chain";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { notFound } from "../core/errors";
import { peopleChange } from "./people-changes";

function readSettings(db: DbOrTx, projectId: string): ProjectSettings {
  const row = db
    .select({ agentSelfRegistration: projects.agentSelfRegistration })
    .from(projects)
    .where(eq(projects.id, projectId))
    .get();
  if (!row) throw notFound("Project");
  return row;
}

export function getProjectSettings({ db }: Deps, projectId: string): ProjectSettings {
  return readSettings(db, projectId);
}

/** Changes the settings given; audited with what they were and are. */
export function updateProjectSettings(
  deps: Deps,
  projectId: string,
  patch: Partial<ProjectSettings>,
  actor: Actor,
): ProjectSettings {
  const now = deps.clock.now();
  const { after, change } = deps.db.transaction((tx) => {
    const before = readSettings(tx, projectId);
    // Only the settings themselves: the input also carries the project's id.
    const after: ProjectSettings = {
      agentSelfRegistration: patch.agentSelfRegistration ?? before.agentSelfRegistration,
    };
    tx.update(projects).set(after).where(eq(projects.id, projectId)).run();
    appendAudit(deps, tx, projectId, actor, { operation: "project.settings", detail: { before, after } }, now);
    return { after, change: peopleChange(deps.state, tx, projectId, "settings", projectId, now) };
  });
  publishChanges(deps, [change]);
  return after;
}
