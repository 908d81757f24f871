import { z } from "zod";
import { IdSchema, NameSchema } from "./common";
import { API_KEY_MAX_EXPIRY_DAYS, API_KEY_SCOPES } from "./domain/api-key";

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

export const ApiKeyCreateInputSchema = z.object({
  name: NameSchema,
  scopes: z.array(ApiKeyScopeSchema).min(1, "Choose at least one scope").max(2).default(["read", "write"]),
  expiresInDays: ApiKeyExpiryDaysSchema,
});
export type ApiKeyCreateInput = z.infer<typeof ApiKeyCreateInputSchema>;

export const ApiKeyRevokeInputSchema = z.object({ id: IdSchema });
