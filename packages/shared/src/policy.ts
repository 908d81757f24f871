import picomatch from "picomatch";
import { z } from "zod";
import { IdSchema, jsonFits, NameSchema, PageLimitSchema, ShortTextSchema } from "./common";
import { APPROVAL_STATUSES, APPROVER_ROLES, POLICY_EFFECTS, POLICY_LIMITS } from "./domain/policy";
import { LIMITS } from "./domain/limits";
import { globComplexityProblem, invalidGlobMessage } from "./glob-limits";
import { PATH_SCOPE_GLOB_OPTIONS } from "./path-scope";
import { PathScopeSchema } from "./agent";

const OPERATION_PATTERN = /^[a-z][a-z0-9_.:-]{0,63}$/;
const OPERATION_HINT = "Use lower-case letters, digits and _ . : - (at most 64)";

/**
 * A tool name or glob (`Bash`, `mcp__github__*`, `web.*`), checked with the matcher that enforces it,
 * within the cost limits of glob-limits.ts.
 */
export const ToolPatternSchema = z
  .string()
  .trim()
  .min(1, { error: "Remove the empty tool", abort: true })
  .max(POLICY_LIMITS.toolLength, {
    error: `A tool must be at most ${POLICY_LIMITS.toolLength} characters`,
    abort: true,
  })
  .superRefine((pattern, ctx) => {
    // Before picomatch: some patterns make its parser loop forever (see glob-limits.ts).
    const complexity = globComplexityProblem(pattern);
    if (complexity) {
      ctx.addIssue({ code: "custom", message: complexity });
      return;
    }
    try {
      picomatch.makeRe(pattern, PATH_SCOPE_GLOB_OPTIONS);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: invalidGlobMessage(pattern, error) });
    }
  });

const list = <T extends z.ZodType>(item: T, what: string) =>
  z
    .array(item)
    .min(1, `List at least one ${what}, or leave the field out to match any`)
    .max(LIMITS.listItems, `At most ${LIMITS.listItems} ${what}s`)
    .optional();

const ttlSchema = z
  .number()
  .int("Whole seconds")
  .min(POLICY_LIMITS.approvalTtlMinSeconds, `At least ${POLICY_LIMITS.approvalTtlMinSeconds} seconds`)
  .max(POLICY_LIMITS.approvalTtlMaxSeconds, "At most 7 days");

export const PolicyMatchSchema = z
  .object({
    agents: list(NameSchema, "agent"),
    roles: list(ShortTextSchema.min(1), "role"),
    tags: list(ShortTextSchema.min(1), "tag"),
    teams: list(NameSchema, "team"),
    tools: list(ToolPatternSchema, "tool"),
    operations: list(z.string().regex(OPERATION_PATTERN, OPERATION_HINT), "operation"),
    paths: list(PathScopeSchema, "path"),
    costAbove: z.number().min(0, "A cost of 0 or more (USD)").max(1e9).optional(),
  })
  .strict();

export const RULE_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export const PolicyRuleSchema = z
  .object({
    id: z
      .string()
      .regex(RULE_ID_PATTERN, "A rule id is lower-case letters, digits and _ . - (at most 64), e.g. no-prod-writes"),
    description: z.string().trim().max(LIMITS.descriptionLength).default(""),
    match: PolicyMatchSchema.default({}),
    effect: z.enum(POLICY_EFFECTS),
    reason: z
      .string()
      .trim()
      .min(1, "Say why: the agent is told this reason")
      .max(POLICY_LIMITS.reasonLength, `At most ${POLICY_LIMITS.reasonLength} characters`),
    ttlSeconds: ttlSchema.optional(),
  })
  .strict()
  .refine((rule) => rule.ttlSeconds === undefined || rule.effect === "require_approval", {
    message: "ttlSeconds applies only to rules that require approval",
    path: ["ttlSeconds"],
  });

export const PolicyDocumentSchema = z
  .object({
    defaultEffect: z.enum(POLICY_EFFECTS).default("allow"),
    defaultReason: z
      .string()
      .trim()
      .min(1, "Say why: the agent is told this reason")
      .max(POLICY_LIMITS.reasonLength)
      .default("No rule matched; the project allows by default"),
    defaultTtlSeconds: ttlSchema.default(POLICY_LIMITS.defaultApprovalTtlSeconds),
    approverRole: z.enum(APPROVER_ROLES).default("operator"),
    rules: z.array(PolicyRuleSchema).max(POLICY_LIMITS.rules, `At most ${POLICY_LIMITS.rules} rules`).default([]),
  })
  .strict()
  .superRefine((document, ctx) => {
    const seen = new Set<string>();
    document.rules.forEach((rule, i) => {
      if (seen.has(rule.id))
        ctx.addIssue({ code: "custom", path: ["rules", i, "id"], message: `Rule id "${rule.id}" is used twice` });
      seen.add(rule.id);
    });
  });

/** A POSIX absolute path, or a Windows one with its drive (either slash). */
export const ABSOLUTE_PATH = /^(\/|[a-zA-Z]:[\\/])/;

/** What an agent asks before it acts. */
export const PolicyCheckInputSchema = z.object({
  /** The asking agent's name. */
  agent: NameSchema,
  tool: z.string().trim().min(1, "Name the tool").max(POLICY_LIMITS.toolLength),
  /** Defaults to `tool_use`. */
  operation: z.string().regex(OPERATION_PATTERN, OPERATION_HINT).default("tool_use"),
  /** The file the action touches: relative to the agent's workspace, or absolute under `cwd`. */
  path: z.string().min(1).max(POLICY_LIMITS.pathLength).optional(),
  /** The agent's working directory (absolute), to make an absolute `path` relative. */
  cwd: z
    .string()
    .max(POLICY_LIMITS.pathLength)
    .regex(ABSOLUTE_PATH, "cwd must be an absolute path (/home/me/project, or C:\\project on Windows)")
    .optional(),
  /** The action's arguments: hashed into the request, so an approval covers exactly this input. */
  input: z
    .record(z.string().max(LIMITS.shortTextLength), z.json())
    .refine((value) => jsonFits(value, POLICY_LIMITS.inputBytes), {
      message: `input must be at most ${POLICY_LIMITS.inputBytes} bytes of JSON`,
    })
    .default({}),
  estimatedCostUsd: z.number().min(0).max(1e9).optional(),
  sessionId: z.string().max(64).optional(),
  /**
   * Names this decision, so asking again (a retry after a dropped connection) gets the same
   * answer: an approval the first ask used allows the retry too, where it would ask a person again.
   */
  checkId: z.string().min(1).max(LIMITS.shortTextLength).optional(),
});
export type PolicyCheckInput = z.input<typeof PolicyCheckInputSchema>;
export type PolicyCheckRequest = z.output<typeof PolicyCheckInputSchema>;

export const PolicySaveInputSchema = z.object({
  document: PolicyDocumentSchema,
  /** The version the edit started from: saving over a newer one is refused (someone else saved). */
  expectedVersion: z.number().int().min(0),
});

export const PolicyImportInputSchema = z.object({
  yaml: z.string().max(POLICY_LIMITS.yamlBytes, `At most ${POLICY_LIMITS.yamlBytes / 1024} KB of YAML`),
  expectedVersion: z.number().int().min(0),
});

export const PolicyVersionInputSchema = z.object({ version: z.number().int().min(0) });

export const PolicyVersionsInputSchema = z.object({
  limit: PageLimitSchema,
  /** Keyset: the version number of the last row of the previous page (newest first). */
  cursor: z.number().int().positive().nullish(),
});

export const ApprovalListInputSchema = z.object({
  status: z.enum(APPROVAL_STATUSES).optional(),
  agentId: IdSchema.optional(),
  limit: PageLimitSchema,
  /** Keyset: the id of the last row of the previous page (newest first). */
  cursor: IdSchema.nullish(),
});

export const ApprovalIdInputSchema = z.object({ id: IdSchema });

export const ApprovalDecideInputSchema = z.object({
  id: IdSchema,
  decision: z.enum(["approve", "deny"]),
  comment: z.string().trim().max(POLICY_LIMITS.commentLength).default(""),
  /** With approve: also allow this agent this tool for this many minutes (a grant). */
  grantMinutes: z.number().int().min(1).max(POLICY_LIMITS.grantMaxMinutes).optional(),
});
export type ApprovalDecideInput = z.input<typeof ApprovalDecideInputSchema>;

export const GrantListInputSchema = z.object({
  /** Active grants only (not revoked, not expired), unless false. */
  active: z.boolean().default(true),
  agentId: IdSchema.optional(),
  limit: PageLimitSchema,
  cursor: IdSchema.nullish(),
});
