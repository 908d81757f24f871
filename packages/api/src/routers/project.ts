import { ProjectCreateInputSchema } from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { listMemberships } from "../services/auth-service";
import { createProject, listMembers } from "../services/project-service";
import { projectProcedure, userProcedure } from "../trpc";

export const projectRouter = {
  list: userProcedure.query(({ ctx }) => listMemberships(ctx, ctx.caller.userId)),
  create: userProcedure
    .input(ProjectCreateInputSchema)
    .mutation(({ ctx, input }) => createProject(ctx, ctx.caller.userId, input)),
  members: projectProcedure("viewer").query(({ ctx }) => listMembers(ctx, ctx.project.projectId)),
} satisfies TRPCRouterRecord;
