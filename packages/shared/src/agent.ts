import { z } from "zod";
import {
  IdSchema,
  MetadataSchema,
  NameSchema,
  PageLimitSchema,
  ShortTextSchema,
  SortOrderSchema,
  StringListSchema,
} from "./common";
import { AGENT_SORTS, AGENT_STATUSES, type Agent, type AgentStatus } from "./domain/agent";
import { LIMITS } from "./domain/limits";
import { pathScopeProblem } from "./path-scope";

export const AgentStatusSchema = z.enum(AGENT_STATUSES);

/** Glob path scopes relative to the agent's workspace, such as `src/**` or `data/*.csv`. */
export const PathScopeSchema = z
  .string()
  .trim()
  .min(1, { error: "Remove the empty path scope", abort: true })
  .max(512, { error: "A path scope must be at most 512 characters", abort: true })
  .superRefine((scope, ctx) => {
    const problem = pathScopeProblem(scope);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const BUDGET_HINT = "or leave it empty for no limit";
const budgetTokensSchema = z
  .number({ error: `Enter a number of tokens, ${BUDGET_HINT}` })
  .int({ error: `Enter a whole number of tokens, ${BUDGET_HINT}`, abort: true })
  .positive({ error: `Enter more than 0 tokens, ${BUDGET_HINT}`, abort: true })
  .max(1e12, "At most 1,000,000,000,000 tokens")
  .nullable();
const budgetCostSchema = z
  .number({ error: `Enter an amount in USD, ${BUDGET_HINT}` })
  .positive({ error: `Enter more than $0, ${BUDGET_HINT}`, abort: true })
  .max(1e9, "At most $1,000,000,000 a day")
  .nullable();

/** An agent's name: what keys are bound to and reports are sent as. */
export const AgentNameSchema = NameSchema.regex(/^[\w.\- ]+$/, "Use letters, digits, spaces, dots, dashes or underscores");

const agentFields = {
  name: AgentNameSchema,
  role: ShortTextSchema.min(1, { error: "Role is required", abort: true }),
  category: ShortTextSchema.default("general"),
  description: z
    .string()
    .trim()
    .max(LIMITS.descriptionLength, `Description must be at most ${LIMITS.descriptionLength} characters`)
    .default(""),
  capabilities: StringListSchema.default([]),
  allowedTools: StringListSchema.default([]),
  pathScopes: z.array(PathScopeSchema).max(LIMITS.listItems, `At most ${LIMITS.listItems} path scopes`).default([]),
  budgetTokensPerSession: budgetTokensSchema.default(null),
  budgetCostUsdPerDay: budgetCostSchema.default(null),
  tags: StringListSchema.default([]),
  metadata: MetadataSchema.default({}),
  version: ShortTextSchema.default(""),
  owner: ShortTextSchema.default(""),
};

export const AgentCreateInputSchema = z.object(agentFields);
export type AgentCreateInput = z.input<typeof AgentCreateInputSchema>;
export type AgentCreate = z.output<typeof AgentCreateInputSchema>;

/** Every field optional; absent fields stay as they are. */
export const AgentPatchSchema = z.object({
  name: agentFields.name.optional(),
  role: agentFields.role.optional(),
  category: ShortTextSchema.optional(),
  description: agentFields.description.unwrap().optional(),
  capabilities: StringListSchema.optional(),
  allowedTools: StringListSchema.optional(),
  pathScopes: agentFields.pathScopes.unwrap().optional(),
  budgetTokensPerSession: budgetTokensSchema.optional(),
  budgetCostUsdPerDay: budgetCostSchema.optional(),
  tags: StringListSchema.optional(),
  metadata: MetadataSchema.optional(),
  version: ShortTextSchema.optional(),
  owner: ShortTextSchema.optional(),
});
export type AgentPatch = z.infer<typeof AgentPatchSchema>;

/** Create-or-update by name: only the fields given are changed on an existing agent. */
export const AgentRegisterInputSchema = AgentPatchSchema.extend({
  name: agentFields.name,
  role: agentFields.role,
});
export type AgentRegisterInput = z.infer<typeof AgentRegisterInputSchema>;

export const AgentUpdateInputSchema = z.object({ id: IdSchema, patch: AgentPatchSchema });
export type AgentUpdateInput = z.infer<typeof AgentUpdateInputSchema>;

export const AgentIdInputSchema = z.object({ id: IdSchema });
export const AgentNameInputSchema = z.object({ name: NameSchema });

export const AgentSortSchema = z.enum(AGENT_SORTS);

export const AgentListInputSchema = z.object({
  role: ShortTextSchema.optional(),
  category: ShortTextSchema.optional(),
  status: AgentStatusSchema.optional(),
  tag: ShortTextSchema.optional(),
  teamId: IdSchema.optional(),
  q: z.string().trim().max(LIMITS.shortTextLength).optional(),
  sort: AgentSortSchema.default("name"),
  order: SortOrderSchema.default("asc"),
  limit: PageLimitSchema,
  cursor: z.string().max(1_000).nullish(),
});
export type AgentListInput = z.input<typeof AgentListInputSchema>;
export type AgentListQuery = z.output<typeof AgentListInputSchema>;

export interface AgentPage {
  items: Agent[];
  nextCursor: string | null;
  /** Id of the newest change at read time: subscribe from here to miss nothing. */
  lastEventId: string;
}

export const AgentSetEnabledInputSchema = z.object({ id: IdSchema, enabled: z.boolean() });

export interface AgentSummary {
  total: number;
  byStatus: Record<AgentStatus, number>;
  byRole: { role: string; count: number }[];
  byCategory: { category: string; count: number }[];
}
