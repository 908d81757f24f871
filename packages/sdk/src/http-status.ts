import { TRPCClientError } from "@trpc/client";

/**
 * An error answer that is not tRPC's JSON: a proxy's HTML page, a load balancer's plain text. tRPC's
 * client would report it as a JSON parse failure, like a network error; the status is what tells
 * an outage (502, 503) from a refusal (400, 413) and so whether to retry.
 */
export class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`Tower answered HTTP ${status} without a tRPC error (a proxy in between?)`);
    this.name = "HttpStatusError";
  }
}

/** Answers worth retrying: Tower is down, overloaded or restarting (or a proxy in front says so). */
export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** The HTTP status of a failed call, or undefined when no answer came (network down). */
export function statusOf(error: unknown): number | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  if (error.cause instanceof HttpStatusError) return error.cause.status;
  return (error.data as { httpStatus?: number } | undefined)?.httpStatus;
}

/** Where a request went, as an error names it: the address without path or query. */
function originOf(input: Parameters<typeof fetch>[0]): string {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * `fetch`, failing with the HTTP status when an error answer is not JSON, and saying which address
 * could not be reached (and why: ECONNREFUSED, ENOTFOUND…) instead of fetch's bare "fetch failed".
 */
export const fetchWithStatus: typeof fetch = async (input, init) => {
  let response: Response;
  try {
    response = await fetch(input, init);
  } catch (error) {
    if (init?.signal?.aborted || (error as Error | undefined)?.name === "AbortError") throw error;
    const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
    const why = typeof cause?.code === "string" ? cause.code : String(cause?.message ?? (error as Error).message);
    throw new Error(`Tower could not be reached at ${originOf(input)} (${why})`, { cause: error });
  }
  if (!response.ok && !response.headers.get("content-type")?.includes("application/json")) {
    await response.body?.cancel();
    throw new HttpStatusError(response.status);
  }
  return response;
};
