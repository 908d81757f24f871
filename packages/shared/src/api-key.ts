import { z } from "zod";
import { AgentNameSchema } from "./agent";
import { IdSchema, NameSchema } from "./common";
import { API_KEY_MAX_EXPIRY_DAYS, API_KEY_SCOPES, type ApiKeyScope } from "./domain/api-key";
import { LIMITS } from "./domain/limits";

export const ApiKeyScopeSchema = z.enum(API_KEY_SCOPES);

/**
 * Days from creation until the key stops authenticating; null or left out: it never expires (so
 * scripts written before keys could expire keep creating the keys they did).
 */
export const ApiKeyExpiryDaysSchema = z
  .number({ error: "Expiry must be a number of days, or null for a key that never expires" })
  .int({ error: "Expiry must be a whole number of days", abort: true })
  .min(1, "Expiry must be at least 1 day")
  .max(API_KEY_MAX_EXPIRY_DAYS, `Expiry must be at most ${API_KEY_MAX_EXPIRY_DAYS} days, or null for no expiry`)
  .nullish();

/** `write` was the operator scope before keys had agent, manage and admin scopes; it means `manage`. */
const ScopeInputSchema = z
  .enum([...API_KEY_SCOPES, "write"], { error: `Scopes are ${API_KEY_SCOPES.join(", ")}` })
  .transform((scope): ApiKeyScope => (scope === "write" ? "manage" : scope));

export const ApiKeyCreateInputSchema = z
  .object({
    name: NameSchema,
    scopes: z
      .array(ScopeInputSchema)
      .min(1, "Choose at least one scope")
      .max(API_KEY_SCOPES.length + 1)
      .default(["manage"])
      .transform((scopes) => [...new Set(scopes)]),
    /** With the `agent` scope: the agents the key may act as (by name; they need not exist yet). */
    agentNames: z
      .array(AgentNameSchema)
      .max(LIMITS.listItems, `At most ${LIMITS.listItems} agents per key`)
      .transform((names) => [...new Set(names)])
      .optional(),
    expiresInDays: ApiKeyExpiryDaysSchema,
  })
  .superRefine((input, ctx) => {
    const bound = input.scopes.includes("agent");
    if (bound && !input.agentNames?.length) {
      ctx.addIssue({ code: "custom", path: ["agentNames"], message: "Name the agents this agent key may act as" });
    }
    if (!bound && input.agentNames?.length) {
      ctx.addIssue({
        code: "custom",
        path: ["agentNames"],
        message: "Only a key with the agent scope is bound to agents",
      });
    }
    // Manage and admin act for any agent, which would make the binding a promise the key does not keep.
    if (bound && (input.scopes.includes("manage") || input.scopes.includes("admin"))) {
      ctx.addIssue({
        code: "custom",
        path: ["scopes"],
        message:
          "An agent key acts as its named agents only, and manage or admin would let it act for any: make two keys",
      });
    }
  });
export type ApiKeyCreateInput = z.output<typeof ApiKeyCreateInputSchema>;

export const ApiKeyRevokeInputSchema = z.object({ id: IdSchema });
