import type { TRPCBuiltRouter } from "@trpc/server";
import type { ProcedureMeta, TowerErrorShape } from "./core/procedure-types";
import { appRouter } from "./root";

/**
 * Every procedure as a client sees it (inputs and outputs). Inferred, not annotated, so that
 * declaration output writes each procedure out in full: the SDK's published types then never
 * reach the server's context (database, logger, threads), which a client has no use for.
 */
export const clientProcedures = appRouter._def.record;

/** The router type for clients (`createTRPCClient<ClientRouter>`), free of server-only types. */
export type ClientRouter = TRPCBuiltRouter<
  { ctx: object; meta: ProcedureMeta; errorShape: TowerErrorShape; transformer: false },
  typeof clientProcedures
>;
