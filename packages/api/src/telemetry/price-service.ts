import { modelPrices, type DbOrTx } from "@tower/db";
import { DEFAULT_MODEL_PRICES, type Actor, type ModelPrice, type ModelPriceRow } from "@tower/shared";
import { and, eq } from "drizzle-orm";
import { appendAudit } from "../core/audit-chain";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";

/** The prices a project's ingest uses: Tower's defaults, overridden by the project's own. */
export function effectivePrices(tx: DbOrTx, projectId: string): Record<string, ModelPrice> {
  const prices: Record<string, ModelPrice> = { ...DEFAULT_MODEL_PRICES };
  for (const row of tx.select().from(modelPrices).where(eq(modelPrices.projectId, projectId)).all()) {
    prices[row.model] = { inputPerMTok: row.inputPerMTok, outputPerMTok: row.outputPerMTok };
  }
  return prices;
}

export function listPrices({ db }: Deps, projectId: string): ModelPriceRow[] {
  const own = new Set(
    db
      .select({ model: modelPrices.model })
      .from(modelPrices)
      .where(eq(modelPrices.projectId, projectId))
      .all()
      .map((row) => row.model),
  );
  return Object.entries(effectivePrices(db, projectId))
    .map(([model, price]) => ({
      model,
      ...price,
      source: own.has(model) ? ("project" as const) : ("default" as const),
    }))
    .sort((a, b) => a.model.localeCompare(b.model));
}

export function setPrice(deps: Deps, projectId: string, input: ModelPrice & { model: string }, actor: Actor) {
  const now = deps.clock.now();
  deps.db.transaction((tx) => {
    tx.insert(modelPrices)
      .values({ projectId, ...input, updatedAt: now })
      .onConflictDoUpdate({
        target: [modelPrices.projectId, modelPrices.model],
        set: { inputPerMTok: input.inputPerMTok, outputPerMTok: input.outputPerMTok, updatedAt: now },
      })
      .run();
    appendAudit(deps, tx, projectId, actor, { operation: "price.set", target: input.model, detail: { ...input } }, now);
  });
  return listPrices(deps, projectId);
}

/** Drops the project's own price for a model, so the default (if any) applies again. */
export function resetPrice(deps: Deps, projectId: string, model: string, actor: Actor) {
  const now = deps.clock.now();
  deps.db.transaction((tx) => {
    const result = tx
      .delete(modelPrices)
      .where(and(eq(modelPrices.projectId, projectId), eq(modelPrices.model, model)))
      .run();
    if (result.changes === 0) throw new DomainError("NOT_FOUND", `No project price for "${model}"`, { field: "model" });
    appendAudit(deps, tx, projectId, actor, { operation: "price.reset", target: model }, now);
  });
  return listPrices(deps, projectId);
}
