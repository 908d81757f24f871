import { z } from "zod";
import { IdSchema, NameSchema } from "./common";

/** `read` acts as a viewer; `write` as an operator (register agents, change them, report). */
export const ApiKeyScopeSchema = z.enum(["read", "write"]);
export type ApiKeyScope = z.infer<typeof ApiKeyScopeSchema>;

export const ApiKeyCreateInputSchema = z.object({
  name: NameSchema,
  scopes: z.array(ApiKeyScopeSchema).min(1, "Choose at least one scope").max(2).default(["read", "write"]),
});
export type ApiKeyCreateInput = z.infer<typeof ApiKeyCreateInputSchema>;

export const ApiKeyRevokeInputSchema = z.object({ id: IdSchema });

/** Every key starts with this, so leaked keys are easy to find with secret scanners. */
export const API_KEY_PREFIX = "tower_";
