import { appRouter } from "@tower/api";
import { LIMITS } from "@tower/shared";
import { getErrorShape, TRPCError } from "@trpc/server/unstable-core-do-not-import";

/**
 * Past this many calls a message is not answered call by call: the socket is closed instead (no
 * tRPC client sends that many in one turn, and the answers would be megabytes).
 */
export const MAX_CALLS_ANSWERED = 1_000;

/**
 * tRPC's WebSocket client sends every call of one turn of its event loop in one message. A message
 * of more than `LIMITS.wsCallsPerMessage` calls starts none of them (as an HTTP batch too large):
 * here each is answered under its own id with TOO_MANY_REQUESTS, so its caller fails at once. A
 * refusal of the whole message (tRPC's own, with no id) reaches no call, and every call in it would
 * wait for ever. Returns the answers to send, "close" past `MAX_CALLS_ANSWERED`, or null for a
 * message to hand to tRPC as usual (anything but a JSON array over the limit, malformed included).
 */
export function oversizedBatchAnswers(data: Buffer): string[] | "close" | null {
  // Most messages are one call, an object: only an array is decoded (a second time) here.
  if (!startsWithArray(data)) return null;
  let calls: unknown;
  try {
    calls = JSON.parse(data.toString("utf8"));
  } catch {
    return null; // tRPC answers a malformed message itself
  }
  if (!Array.isArray(calls) || calls.length <= LIMITS.wsCallsPerMessage) return null;
  if (calls.length > MAX_CALLS_ANSWERED) return "close";
  const message = `A WebSocket message may carry at most ${LIMITS.wsCallsPerMessage} calls; this one has ${calls.length}, and none was started`;
  return calls.flatMap((call: unknown) => {
    const { id, params } = (call ?? {}) as { id?: unknown; params?: { path?: unknown } };
    if (typeof id !== "number" && typeof id !== "string") return [];
    const path = typeof params?.path === "string" ? params.path : undefined;
    const error = getErrorShape({
      config: appRouter._def._config,
      error: new TRPCError({ code: "TOO_MANY_REQUESTS", message }),
      type: "unknown",
      path,
      input: undefined,
      ctx: undefined,
    });
    return [JSON.stringify({ id, error })];
  });
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

function startsWithArray(data: Buffer): boolean {
  for (const byte of data) if (!WHITESPACE.has(byte)) return byte === 0x5b; // "["
  return false;
}
