// Types the router's clients see too: kept free of server-only imports, because the SDK's published
// declarations include this file (see client-router.ts).
import type { TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODE_NUMBER } from "@trpc/server";

/** What every error answer carries: a message in words, tRPC's code, and the fields at fault. */
export interface TowerErrorShape {
  message: string;
  code: TRPC_ERROR_CODE_NUMBER;
  data: {
    code: TRPC_ERROR_CODE_KEY;
    httpStatus: number;
    path: string | undefined;
    zodError: { formErrors: string[]; fieldErrors: Record<string, string[] | undefined> } | null;
    /**
     * The input field a refusal is about (a `DomainError` with a field; its message reads
     * "field: message"), else null. Optional: answers from older servers, or refused before tRPC
     * saw the request, have none.
     */
    field?: string | null;
  };
}

export interface ProcedureMeta {
  /** The root's `items` are checked one by one by the procedure, so one bad item is refused alone. */
  itemsCheckedOneByOne?: boolean;
}
