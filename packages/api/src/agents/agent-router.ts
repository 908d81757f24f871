import {
  AgentCreateInputSchema,
  AgentIdInputSchema,
  AgentListInputSchema,
  AgentNameInputSchema,
  AgentRegisterInputSchema,
  AgentImportInputSchema,
  AgentSetEnabledInputSchema,
  AgentUpdateInputSchema,
  IdSchema,
  ResumeSchema,
} from "@tower/shared";
import { tracked, type TRPCRouterRecord } from "@trpc/server";
import { streamChanges } from "../core/change-stream";
import { projectProcedure } from "../core/trpc";
import {
  assertMayFollow,
  createAgent,
  deleteAgent,
  getAgent,
  getAgentByName,
  listAgents,
  registerAgent,
  setAgentEnabled,
  summarizeAgents,
  updateAgent,
} from "./agent-service";
import { importIdentities } from "./identity-import";

export const agentRouter = {
  list: projectProcedure("viewer")
    .input(AgentListInputSchema)
    .query(({ ctx, input }) => listAgents(ctx, ctx.project.projectId, input)),
  byId: projectProcedure("viewer", { agents: true })
    .input(AgentIdInputSchema)
    .query(({ ctx, input }) => getAgent(ctx, ctx.project, input.id)),
  byName: projectProcedure("viewer", { agents: true })
    .input(AgentNameInputSchema)
    .query(({ ctx, input }) => getAgentByName(ctx, ctx.project, input.name)),
  create: projectProcedure("operator")
    .input(AgentCreateInputSchema)
    .mutation(({ ctx, input }) => createAgent(ctx, ctx.project.projectId, input, ctx.actor())),
  register: projectProcedure("operator")
    .input(AgentRegisterInputSchema)
    .mutation(({ ctx, input }) => registerAgent(ctx, ctx.project.projectId, input, ctx.actor())),
  update: projectProcedure("operator")
    .input(AgentUpdateInputSchema)
    .mutation(({ ctx, input }) => updateAgent(ctx, ctx.project.projectId, input.id, input.patch, ctx.actor())),
  delete: projectProcedure("admin")
    .input(AgentIdInputSchema)
    .mutation(({ ctx, input }) => deleteAgent(ctx, ctx.project.projectId, input.id, ctx.actor())),
  summary: projectProcedure("viewer").query(({ ctx }) => summarizeAgents(ctx, ctx.project.projectId)),
  setEnabled: projectProcedure("operator")
    .input(AgentSetEnabledInputSchema)
    .mutation(({ ctx, input }) => setAgentEnabled(ctx, ctx.project, input.id, input.enabled, ctx.actor())),
  /** Upsert by name from YAML/JSON identity files, with a report per file. */
  import: projectProcedure("operator")
    .input(AgentImportInputSchema)
    .mutation(({ ctx, input }) => importIdentities(ctx, ctx.project.projectId, input.files, ctx.actor())),
  /**
   * Every agent change in the project (or of one agent), resumable from `lastEventId`. An agent key
   * follows one of its own agents (how the SDK learns it was disabled).
   */
  onChange: projectProcedure("viewer", { agents: true })
    .input(ResumeSchema.extend({ agentId: IdSchema.optional() }))
    .subscription(({ ctx, input, signal }) => {
      // Checked when the subscription starts, not when its first change is read.
      assertMayFollow(ctx, ctx.project, input.agentId);
      const changes = streamChanges(ctx, {
        projectId: ctx.project.projectId,
        entity: "agent",
        entityId: input.agentId,
        lastEventId: input.lastEventId,
        signal,
        caller: ctx.caller,
      });
      return (async function* () {
        for await (const event of changes) yield tracked(event.id, event);
      })();
    }),
} satisfies TRPCRouterRecord;
