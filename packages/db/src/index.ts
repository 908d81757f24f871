export { createDb, migrationsFolder, type DbHandle, type DbOrTx, type TowerDb, type TowerTx } from "./client";
export * from "./schema";
