import type { ClientRouter as AppRouter } from "@tower/api/client";
import { TRPCClientError, type TRPCClient } from "@trpc/client";
import { waitForApproval } from "./approval-wait";
import { failClosed, type AuthorizeDecision, type AuthorizeOptions, type AuthorizeRequest } from "./authorize-types";

/** Approved, yet asking again needs approval again (another process used it): wait this many times at most. */
const MAX_ROUNDS = 3;

/** The least time the call after an approval gets, even when `timeoutMs` is (nearly) spent. */
const REASK_FLOOR_MS = 5_000;
/**
 * After an approval, how long the call that uses it is asked again while no answer comes (a socket
 * that dropped just then), when `timeoutMs` does not say: a person said yes, so one lost answer
 * must not turn it into a no. Asking again is answered as the first was (the same `checkId`).
 */
const REASK_RETRY_MS = 30_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The agent's workspace for an absolute `path`: the `cwd` given, else the process's working
 * directory in Node (Tower makes the path relative to it for path scopes; a browser has none).
 */
function withWorkspace(request: AuthorizeRequest): AuthorizeRequest {
  if (request.cwd !== undefined || request.path === undefined) return request;
  const cwd = (globalThis as { process?: { cwd?: () => string } }).process?.cwd?.();
  return cwd ? { ...request, cwd } : request;
}

/** Web Crypto's UUID where there is one (Node, a secure page), else a random enough name. */
const newCheckId = (): string =>
  globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Asks Tower's policy whether the agent may act (`policy.check`), and with `wait` waits for a
 * person when the answer is "requires approval". Never throws: anything that keeps Tower from
 * answering, or the person from deciding in time, answers "denied" (`source: "sdk"`).
 */
export async function authorize(
  api: TRPCClient<AppRouter>,
  asker: { agent: string; sessionId: string | undefined },
  request: AuthorizeRequest,
  options: AuthorizeOptions = {},
): Promise<AuthorizeDecision> {
  const started = Date.now();
  // One name for every ask of this call: a retry of an ask whose answer was lost (a dropped
  // socket) is answered as the first was, and does not ask a person again for an approval it used.
  const checkId = newCheckId();
  const remainingMs = () => (options.timeoutMs === undefined ? undefined : options.timeoutMs - (Date.now() - started));
  /** Whether the last ask failed for want of an answer (the network), not by Tower's refusal. */
  let unanswered = false;
  /** `floorMs`: the least time the call gets, whatever is left of `timeoutMs`. */
  const ask = async (floorMs = 0): Promise<AuthorizeDecision> => {
    unanswered = false;
    const remaining = remainingMs();
    const left = remaining === undefined ? undefined : Math.max(remaining, floorMs);
    if (left !== undefined && left <= 0) return failClosed(`No answer from Tower within ${options.timeoutMs} ms`);
    if (options.signal?.aborted) return failClosed("The authorization was aborted");
    // The call is bounded too: a server that accepts the request but never answers must not hang the agent.
    const bound = new AbortController();
    const timer = left === undefined ? undefined : setTimeout(() => bound.abort(), left);
    const onAbort = () => bound.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await api.policy.check.mutate(
        { ...withWorkspace(request), agent: asker.agent, sessionId: asker.sessionId, checkId },
        { signal: bound.signal },
      );
    } catch (error) {
      if (options.signal?.aborted) return failClosed("The authorization was aborted");
      if (bound.signal.aborted) return failClosed(`No answer from Tower within ${options.timeoutMs} ms`);
      if (!(error instanceof TRPCClientError) || error.data === undefined) unanswered = true;
      return failClosed(`Tower could not be asked: ${messageOf(error)}`);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  };

  let decision = await ask();
  if (!options.wait) return decision;
  for (let round = 0; decision.decision === "requires_approval"; round++) {
    if (decision.approvalId === null)
      return failClosed(`Requires approval, but Tower named none: ${decision.reason}`, decision);
    if (round === MAX_ROUNDS)
      return failClosed(`Still requires approval after ${round} approvals: ${decision.reason}`, decision);
    const outcome = await waitForApproval(
      api,
      decision.approvalId,
      { timeoutMs: remainingMs(), signal: options.signal },
      { expiresAt: decision.expiresAt, base: decision, timeoutMs: options.timeoutMs },
    );
    if (outcome.decision !== "allowed") return outcome;
    // Approved: ask again. That uses the approval and re-runs the built-in checks (disabled since,
    // over budget since), so the answer is Tower's, not the SDK's reading of the approval. A yes
    // that came at the last moment still gets the time for that one call, and is asked again while
    // no answer comes, until the time is up.
    const until = Date.now() + Math.max(remainingMs() ?? REASK_RETRY_MS, REASK_FLOOR_MS);
    decision = await ask(REASK_FLOOR_MS);
    for (let retry = 0; unanswered && Date.now() < until && !options.signal?.aborted; retry++) {
      await sleep(Math.min(250 * 2 ** retry, 2_000, Math.max(0, until - Date.now())));
      decision = await ask(Math.max(0, until - Date.now()));
    }
  }
  return decision;
}
