import { memberships, projects } from "@tower/db";
import type { ProjectCreateInput } from "@tower/shared";
import type { Deps } from "../core/deps";
import { newId } from "../core/tokens";

export function createProject({ db, clock }: Deps, ownerId: string, input: ProjectCreateInput) {
  const now = clock.now();
  const project = { id: newId(), name: input.name, createdAt: now };
  db.transaction((tx) => {
    tx.insert(projects).values(project).run();
    tx.insert(memberships).values({ projectId: project.id, userId: ownerId, role: "owner", createdAt: now }).run();
  });
  return { projectId: project.id, projectName: project.name, role: "owner" as const };
}
