import {
  SessionEndInputSchema,
  SessionHeartbeatInputSchema,
  SessionListInputSchema,
  SessionReportInputSchema,
  SessionStartInputSchema,
} from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { projectProcedure } from "../core/trpc";
import { endSession, heartbeat, listSessions, reportOutcome } from "./session-service";
import { startSession } from "./session-start";

/** What a running agent calls through the SDK: start, heartbeat, report, end. */
export const sessionRouter = {
  start: projectProcedure("operator", { agents: true })
    .input(SessionStartInputSchema)
    .mutation(({ ctx, input }) => startSession(ctx, ctx.project, input, ctx.actor(), ctx.heartbeat)),
  heartbeat: projectProcedure("operator", { agents: true })
    .input(SessionHeartbeatInputSchema)
    .mutation(({ ctx, input }) => heartbeat(ctx, ctx.project, input.sessionId, input.status)),
  report: projectProcedure("operator", { agents: true })
    .input(SessionReportInputSchema)
    .mutation(({ ctx, input }) => reportOutcome(ctx, ctx.project, input)),
  end: projectProcedure("operator", { agents: true })
    .input(SessionEndInputSchema)
    .mutation(({ ctx, input }) => endSession(ctx, ctx.project, input.sessionId, input.reason)),
  list: projectProcedure("viewer")
    .input(SessionListInputSchema)
    .query(({ ctx, input }) => listSessions(ctx, ctx.project.projectId, input.agentId, input.limit, input.cursor)),
} satisfies TRPCRouterRecord;
