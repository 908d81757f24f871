import {
  SessionEndInputSchema,
  SessionHeartbeatInputSchema,
  SessionListInputSchema,
  SessionReportInputSchema,
  SessionStartInputSchema,
} from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { endSession, heartbeat, listSessions, reportOutcome, startSession } from "../services/session-service";
import { projectProcedure } from "../trpc";

/** What a running agent calls through the SDK: start, heartbeat, report, end. */
export const sessionRouter = {
  start: projectProcedure("operator")
    .input(SessionStartInputSchema)
    .mutation(({ ctx, input }) => startSession(ctx, ctx.project.projectId, input, ctx.heartbeat)),
  heartbeat: projectProcedure("operator")
    .input(SessionHeartbeatInputSchema)
    .mutation(({ ctx, input }) => heartbeat(ctx, ctx.project.projectId, input.sessionId, input.status)),
  report: projectProcedure("operator")
    .input(SessionReportInputSchema)
    .mutation(({ ctx, input }) => reportOutcome(ctx, ctx.project.projectId, input)),
  end: projectProcedure("operator")
    .input(SessionEndInputSchema)
    .mutation(({ ctx, input }) => endSession(ctx, ctx.project.projectId, input.sessionId, input.reason)),
  list: projectProcedure("viewer")
    .input(SessionListInputSchema)
    .query(({ ctx, input }) => listSessions(ctx, ctx.project.projectId, input.agentId, input.limit, input.cursor)),
} satisfies TRPCRouterRecord;
