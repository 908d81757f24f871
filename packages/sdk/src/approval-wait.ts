import type { ClientRouter as AppRouter } from "@tower/api/client";
import { TRPCClientError, type TRPCClient } from "@trpc/client";
import type { Unsubscribable } from "@trpc/server/observable";
import { decisionOfApproval, failClosed, type AuthorizeDecision, type WaitOptions } from "./authorize-types";

/** How long past an approval's expiry the SDK still waits for Tower to say so (clock skew, a slow sweep). */
const EXPIRY_GRACE_MS = 30_000;

export interface KnownApproval {
  /** When the approval expires (from the decision that asked for it); else it is read first. */
  expiresAt?: number | null;
  /** What the decision that asked for it said, kept in a fail-closed answer. */
  base?: Partial<Pick<AuthorizeDecision, "ruleId" | "policyVersion" | "inputHash">>;
  /** The caller's whole timeout, named in the reason (`options.timeoutMs` is what is left of it). */
  timeoutMs?: number;
}

/** Re-subscribing after an error without an answer from Tower: first delay, and the longest. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 2_000;

/**
 * Waits one client keeps on its WebSocket at once, each a subscription: the server lets a socket
 * hold 100, and the agent's own streams need some. Waits beyond these ask over HTTP every
 * `POLL_MS` instead, so an agent waiting on hundreds of approvals at once still hears each answer.
 */
export const MAX_WAITS_ON_SOCKET = 50;
const POLL_MS = 1_000;
const waitsOnSocket = new WeakMap<object, { count: number }>();

function codeOf(error: unknown): string | undefined {
  return error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Waits for a person's answer to an approval over the live connection (`approval.wait`) and turns
 * it into a decision. The WebSocket client re-sends the subscription after a reconnect, and the
 * server answers at once when the approval was decided meanwhile, so a dropped connection only
 * delays the answer. Fails closed: a timeout, an abort, a refusal, a closed client or a server
 * still unreachable at the deadline all answer "denied", never "allowed".
 */
export async function waitForApproval(
  api: TRPCClient<AppRouter>,
  approvalId: string,
  options: WaitOptions = {},
  known: KnownApproval = {},
): Promise<AuthorizeDecision> {
  let base = { ...known.base, approvalId };
  let expiresAt = known.expiresAt ?? null;
  const started = Date.now();
  if (options.signal?.aborted) return failClosed("The wait for approval was aborted", base);
  if (expiresAt === null) {
    try {
      const approval = await api.approval.byId.query({ id: approvalId }, { signal: options.signal });
      if (approval.status !== "pending") return decisionOfApproval(approval);
      expiresAt = approval.expiresAt;
      base = {
        ruleId: approval.ruleId,
        policyVersion: approval.policyVersion,
        inputHash: approval.inputHash,
        approvalId,
      };
    } catch (error) {
      return failClosed(`Could not read approval ${approvalId} from Tower: ${messageOf(error)}`, base);
    }
  }
  const untilExpiry = expiresAt - Date.now() + EXPIRY_GRACE_MS;
  const untilTimeout = options.timeoutMs === undefined ? Infinity : options.timeoutMs - (Date.now() - started);
  const timedOut = untilTimeout < untilExpiry;
  const limitMs = Math.max(0, Math.min(untilExpiry, untilTimeout));

  return new Promise<AuthorizeDecision>((resolve) => {
    let settled = false;
    /** Why the live connection is down right now, if it is. */
    let offline: string | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let onSocket: { count: number } | undefined;
    const finish = (decision: AuthorizeDecision) => {
      if (settled) return;
      settled = true;
      if (onSocket) onSocket.count--;
      clearTimeout(timer);
      clearTimeout(retry);
      options.signal?.removeEventListener("abort", onAbort);
      // After the current tick: `subscribe` may answer before it has returned its handle.
      queueMicrotask(() => subscription?.unsubscribe());
      resolve(decision);
    };
    const onAbort = () => finish(failClosed("The wait for approval was aborted", base));
    const timer = setTimeout(() => {
      const unreachable = offline ? `; Tower could not be reached (${offline})` : "";
      finish(
        failClosed(
          timedOut
            ? `No answer to approval ${approvalId} within ${known.timeoutMs ?? options.timeoutMs} ms${unreachable}`
            : `No answer to approval ${approvalId} before it expired${unreachable}`,
          base,
        ),
      );
    }, limitMs);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let subscription: Unsubscribable | undefined;
    let retries = 0;
    const subscribe = () => {
      if (settled) return;
      subscription = api.approval.wait.subscribe(
        { id: approvalId },
        {
          onData: (approval) => finish(decisionOfApproval(approval)),
          onError: (error) => {
            // Tower answered (not found, forbidden…): final. No answer (the socket was not open
            // yet, or went away): subscribe again shortly, until the deadline.
            if (codeOf(error)) {
              finish(failClosed(`Tower refused the wait for approval ${approvalId}: ${error.message}`, base));
              return;
            }
            offline = error.message;
            retry = setTimeout(subscribe, Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** retries++));
          },
          // Only when the client closes, or the server ends the stream without an answer (the key
          // was revoked, say): one read over HTTP tells which, or brings the decision just made.
          onComplete: () => void lastLook(),
          onConnectionStateChange: (state) => {
            offline = state.state === "connecting" && state.error ? state.error.message : null;
          },
        },
      );
    };
    const lastLook = async () => {
      const closed = `The live connection closed before approval ${approvalId} was decided`;
      try {
        const approval = await api.approval.byId.query({ id: approvalId }, { signal: options.signal });
        finish(approval.status === "pending" ? failClosed(closed, base) : decisionOfApproval(approval));
      } catch (error) {
        const refused = codeOf(error) ? `; Tower refuses this client: ${messageOf(error)}` : "";
        finish(failClosed(`${closed}${refused}`, base));
      }
    };
    /** Beyond the socket's share: asks for the approval over HTTP until it is decided. */
    const poll = async () => {
      if (settled) return;
      try {
        const approval = await api.approval.byId.query({ id: approvalId }, { signal: options.signal });
        if (approval.status !== "pending") return finish(decisionOfApproval(approval));
        offline = null;
      } catch (error) {
        if (settled) return;
        if (codeOf(error)) {
          return finish(failClosed(`Tower refused the wait for approval ${approvalId}: ${messageOf(error)}`, base));
        }
        offline = messageOf(error);
      }
      retry = setTimeout(() => void poll(), POLL_MS);
    };
    const counter = waitsOnSocket.get(api) ?? { count: 0 };
    waitsOnSocket.set(api, counter);
    if (counter.count < MAX_WAITS_ON_SOCKET) {
      onSocket = counter;
      counter.count++;
      subscribe();
    } else void poll();
  });
}
