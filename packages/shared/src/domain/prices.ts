/** USD per million tokens. Used when a metric report carries tokens but no cost. */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
}

/** List prices of common models (November 2026); projects can override them in Settings. */
export const DEFAULT_MODEL_PRICES: Record<string, ModelPrice> = {
  "gpt-4o": { inputPerMTok: 2.5, outputPerMTok: 10 },
  "gpt-4o-mini": { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  "gpt-4.1": { inputPerMTok: 2, outputPerMTok: 8 },
  "gpt-4.1-mini": { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  o3: { inputPerMTok: 2, outputPerMTok: 8 },
  "claude-opus-4": { inputPerMTok: 15, outputPerMTok: 75 },
  "claude-sonnet-4": { inputPerMTok: 3, outputPerMTok: 15 },
  "claude-haiku-3.5": { inputPerMTok: 0.8, outputPerMTok: 4 },
  "gemini-2.5-pro": { inputPerMTok: 1.25, outputPerMTok: 10 },
  "gemini-2.5-flash": { inputPerMTok: 0.3, outputPerMTok: 2.5 },
};

/** Cost of a call from its token counts, or null when the model has no known price. */
export function priceTokens(
  prices: Record<string, ModelPrice>,
  model: string | undefined,
  tokensIn: number,
  tokensOut: number,
): number | null {
  // Own properties only: a model named "constructor" must not find Object.prototype's.
  const price = model && Object.hasOwn(prices, model) ? prices[model] : undefined;
  if (!price) return null;
  const cost = (tokensIn * price.inputPerMTok + tokensOut * price.outputPerMTok) / 1_000_000;
  return Number.isFinite(cost) ? cost : null;
}
