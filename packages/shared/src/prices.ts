import { z } from "zod";
import { type ModelPrice } from "./domain/prices";

export const ModelPriceInputSchema = z.object({
  model: z.string().trim().min(1, "Model is required").max(200),
  inputPerMTok: z.number().min(0).max(10_000),
  outputPerMTok: z.number().min(0).max(10_000),
});

export const ModelNameInputSchema = z.object({ model: z.string().trim().min(1).max(200) });

export interface ModelPriceRow extends ModelPrice {
  model: string;
  /** `default` (Tower's table) or `project` (set in Settings). */
  source: "default" | "project";
}
