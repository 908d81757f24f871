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

/** `fetch`, failing with the HTTP status when an error answer is not JSON. */
export const fetchWithStatus: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (!response.ok && !response.headers.get("content-type")?.includes("application/json")) {
    await response.body?.cancel();
    throw new HttpStatusError(response.status);
  }
  return response;
};
