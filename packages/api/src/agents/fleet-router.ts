import { FleetDeactivateAllInputSchema } from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { projectProcedure } from "../core/trpc";
import { activateAll, deactivateAll } from "./fleet-service";

export const fleetRouter = {
  activateAll: projectProcedure("operator").mutation(({ ctx }) => activateAll(ctx, ctx.project, ctx.actor())),
  /** The kill switch. */
  deactivateAll: projectProcedure("operator")
    .input(FleetDeactivateAllInputSchema)
    .mutation(({ ctx, input }) => deactivateAll(ctx, ctx.project.projectId, input.confirm, ctx.actor())),
} satisfies TRPCRouterRecord;
