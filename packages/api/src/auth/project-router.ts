import { ProjectCreateInputSchema } from "@tower/shared";
import { ProjectSettingsPatchSchema } from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { changeSubscription } from "../core/change-subscription";
import { projectProcedure, userProcedure } from "../core/trpc";
import { listMemberships } from "./auth-service";
import { listMembers } from "./member-service";
import { createProject } from "./project-service";
import { getProjectSettings, updateProjectSettings } from "./project-settings";

export const projectRouter = {
  list: userProcedure.query(({ ctx }) => listMemberships(ctx, ctx.caller.userId)),
  create: userProcedure
    .input(ProjectCreateInputSchema)
    .mutation(({ ctx, input }) => createProject(ctx, ctx.caller.userId, input)),
  /** Every member with their role; emails only for owners and admins. */
  // Emails for the people who manage members: an API key, whatever its scope, manages none.
  members: projectProcedure("viewer").query(({ ctx }) =>
    listMembers(ctx, ctx.project.projectId, ctx.caller.kind === "user" ? ctx.project.role : null),
  ),
  settings: projectProcedure("viewer").query(({ ctx }) => getProjectSettings(ctx, ctx.project.projectId)),
  updateSettings: projectProcedure("admin")
    .input(ProjectSettingsPatchSchema)
    .mutation(({ ctx, input }) => updateProjectSettings(ctx, ctx.project.projectId, input, ctx.actor())),
  /** Which of Settings' lists changed (members, invites, API keys, settings), live: the page reads it again. */
  onPeopleChange: changeSubscription("people"),
} satisfies TRPCRouterRecord;
