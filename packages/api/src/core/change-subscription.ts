import { ResumeSchema, type ChangeEntity } from "@tower/shared";
import { tracked } from "@trpc/server";
import { streamChanges } from "./change-stream";
import { projectProcedure } from "./trpc";

/**
 * The live feed of one kind of change in a project, for people and keys that may read it: every
 * change as it commits, each tracked by its id so a client resumes from `lastEventId`.
 */
export function changeSubscription<E extends ChangeEntity>(entity: E) {
  return projectProcedure("viewer")
    .input(ResumeSchema)
    .subscription(async function* ({ ctx, input, signal }) {
      const changes = streamChanges(ctx, {
        projectId: ctx.project.projectId,
        entity,
        lastEventId: input.lastEventId,
        signal,
        caller: ctx.caller,
      });
      for await (const event of changes) yield tracked(event.id, event);
    });
}
