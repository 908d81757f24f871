export {
  createDb,
  migrationsFolder,
  type DbHandle,
  type DbOptions,
  type DbOrTx,
  type TowerDb,
  type TowerTx,
} from "./client";
export { inSavepoint } from "./savepoint";
export { holdInstanceLock } from "./instance-lock";
export { WriteGate } from "./write-gate";
export { openReadOnlyDb } from "./read-only";
export * from "./schema";
