import {
  PolicyCheckInputSchema,
  PolicyImportInputSchema,
  PolicySaveInputSchema,
  PolicyVersionInputSchema,
  PolicyVersionsInputSchema,
} from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { changeSubscription } from "../core/change-subscription";
import { projectProcedure } from "../core/trpc";
import { checkPolicy, tryPolicy } from "./policy-check";
import {
  exportPolicyYaml,
  getPolicy,
  getPolicyVersion,
  importPolicyYaml,
  listPolicyVersions,
  savePolicy,
} from "./policy-store";

export const policyRouter = {
  /**
   * What an agent asks before it acts: allowed, denied or requires approval, with the reason and
   * what decided. Every decision is an audit row; "requires approval" comes with the approval's id.
   */
  check: projectProcedure("operator", { agents: true })
    .input(PolicyCheckInputSchema)
    .mutation(({ ctx, input }) =>
      checkPolicy(ctx, ctx.project, input, {
        via: ctx.caller.kind === "apiKey" ? ctx.caller.prefix : null,
        caller: ctx.actor,
        byPerson: ctx.caller.kind === "user",
      }),
    ),
  /** What would decide a request and why; nothing is recorded and no approval is asked. */
  try: projectProcedure("viewer")
    .input(PolicyCheckInputSchema)
    .query(({ ctx, input }) => tryPolicy(ctx, ctx.project.projectId, input)),
  /** The policy in force (version 0: the built-in default). */
  get: projectProcedure("viewer").query(({ ctx }) => getPolicy(ctx, ctx.project.projectId)),
  versions: projectProcedure("viewer")
    .input(PolicyVersionsInputSchema)
    .query(({ ctx, input }) => listPolicyVersions(ctx, ctx.project.projectId, input)),
  version: projectProcedure("viewer")
    .input(PolicyVersionInputSchema)
    .query(({ ctx, input }) => getPolicyVersion(ctx, ctx.project.projectId, input.version)),
  /** Saves a new version (when anything changed); refused if someone saved since `expectedVersion`. */
  save: projectProcedure("admin")
    .input(PolicySaveInputSchema)
    .mutation(({ ctx, input }) =>
      savePolicy(ctx, ctx.project.projectId, input.document, input.expectedVersion, ctx.actor()),
    ),
  exportYaml: projectProcedure("viewer").query(({ ctx }) => ({ yaml: exportPolicyYaml(ctx, ctx.project.projectId) })),
  importYaml: projectProcedure("admin")
    .input(PolicyImportInputSchema)
    .mutation(({ ctx, input }) =>
      importPolicyYaml(ctx, ctx.project.projectId, input.yaml, input.expectedVersion, ctx.actor()),
    ),
  /** New versions as they are saved, resumable from `lastEventId`. */
  onChange: changeSubscription("policy"),
} satisfies TRPCRouterRecord;
