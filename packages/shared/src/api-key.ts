import { z } from "zod";
import { IdSchema, NameSchema } from "./common";
import { API_KEY_SCOPES } from "./domain/api-key";

export const ApiKeyScopeSchema = z.enum(API_KEY_SCOPES);

export const ApiKeyCreateInputSchema = z.object({
  name: NameSchema,
  scopes: z.array(ApiKeyScopeSchema).min(1, "Choose at least one scope").max(2).default(["read", "write"]),
});
export type ApiKeyCreateInput = z.infer<typeof ApiKeyCreateInputSchema>;

export const ApiKeyRevokeInputSchema = z.object({ id: IdSchema });
