import { TeamCreateInputSchema, TeamIdInputSchema, TeamUpdateInputSchema } from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { changeSubscription } from "../core/change-subscription";
import { projectProcedure } from "../core/trpc";
import { activateTeam, createTeam, deactivateTeam, deleteTeam, getTeam, listTeams, updateTeam } from "./team-service";

export const teamRouter = {
  list: projectProcedure("viewer").query(({ ctx }) => listTeams(ctx, ctx.project.projectId)),
  byId: projectProcedure("viewer")
    .input(TeamIdInputSchema)
    .query(({ ctx, input }) => getTeam(ctx, ctx.project.projectId, input.id)),
  create: projectProcedure("operator")
    .input(TeamCreateInputSchema)
    .mutation(({ ctx, input }) => createTeam(ctx, ctx.project.projectId, input, ctx.actor())),
  update: projectProcedure("operator")
    .input(TeamUpdateInputSchema)
    .mutation(({ ctx, input }) => updateTeam(ctx, ctx.project.projectId, input.id, input.patch, ctx.actor())),
  delete: projectProcedure("admin")
    .input(TeamIdInputSchema)
    .mutation(({ ctx, input }) => deleteTeam(ctx, ctx.project.projectId, input.id, ctx.actor())),
  activate: projectProcedure("operator")
    .input(TeamIdInputSchema)
    .mutation(({ ctx, input }) => activateTeam(ctx, ctx.project, input.id, ctx.actor())),
  deactivate: projectProcedure("operator")
    .input(TeamIdInputSchema)
    .mutation(({ ctx, input }) => deactivateTeam(ctx, ctx.project.projectId, input.id, ctx.actor())),
  onChange: changeSubscription("team"),
} satisfies TRPCRouterRecord;
