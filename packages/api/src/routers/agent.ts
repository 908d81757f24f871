import {
  AgentCreateInputSchema,
  AgentIdInputSchema,
  AgentListInputSchema,
  AgentNameInputSchema,
  AgentRegisterInputSchema,
  AgentUpdateInputSchema,
  ResumeSchema,
} from "@tower/shared";
import { tracked, type TRPCRouterRecord } from "@trpc/server";
import {
  createAgent,
  deleteAgent,
  getAgent,
  getAgentByName,
  listAgents,
  registerAgent,
  updateAgent,
} from "../services/agent-service";
import { streamChanges } from "../services/change-stream";
import { projectProcedure } from "../trpc";

export const agentRouter = {
  list: projectProcedure("viewer")
    .input(AgentListInputSchema)
    .query(({ ctx, input }) => listAgents(ctx, ctx.project.projectId, input)),
  byId: projectProcedure("viewer")
    .input(AgentIdInputSchema)
    .query(({ ctx, input }) => getAgent(ctx, ctx.project.projectId, input.id)),
  byName: projectProcedure("viewer")
    .input(AgentNameInputSchema)
    .query(({ ctx, input }) => getAgentByName(ctx, ctx.project.projectId, input.name)),
  create: projectProcedure("operator")
    .input(AgentCreateInputSchema)
    .mutation(({ ctx, input }) => createAgent(ctx, ctx.project.projectId, input)),
  register: projectProcedure("operator")
    .input(AgentRegisterInputSchema)
    .mutation(({ ctx, input }) => registerAgent(ctx, ctx.project.projectId, input)),
  update: projectProcedure("operator")
    .input(AgentUpdateInputSchema)
    .mutation(({ ctx, input }) => updateAgent(ctx, ctx.project.projectId, input.id, input.patch)),
  delete: projectProcedure("admin")
    .input(AgentIdInputSchema)
    .mutation(({ ctx, input }) => deleteAgent(ctx, ctx.project.projectId, input.id)),
  /** Every agent change in the project, resumable from `lastEventId`. */
  onChange: projectProcedure("viewer")
    .input(ResumeSchema)
    .subscription(async function* ({ ctx, input, signal }) {
      for await (const event of streamChanges(
        ctx,
        ctx.project.projectId,
        "agent",
        input.lastEventId,
        signal,
        ctx.caller,
      )) {
        yield tracked(event.id, event);
      }
    }),
} satisfies TRPCRouterRecord;
