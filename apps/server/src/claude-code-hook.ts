import type { IncomingMessage, ServerResponse } from "node:http";
import {
  appRouter,
  approvalRefusal,
  CLAUDE_CODE_DEFAULT_AGENT,
  createContext,
  preToolUseAnswer,
  preToolUseDenial,
  toPolicyCheck,
  toToolUseEvent,
  type ClaudeCodeHookEvent,
  type ClaudeCodeHookInput,
  type Context,
  type Deps,
  type PreToolUseOutput,
} from "@tower/api";
import type { Approval, PolicyCheckInput, PolicyDecision } from "@tower/shared";
import { HookError, hookErrorOf, parsePayload, readBody, sendError, sendJson } from "./hook-request";
import { credentialsFrom, type TransportTrust } from "./session-cookie";

/**
 * Claude Code's HTTP hooks (settings: `{"type": "http", "url": ".../hooks/claude-code/pre-tool-use",
 * "headers": {"Authorization": "Bearer $TOWER_API_KEY"}, "allowedEnvVars": ["TOWER_API_KEY"]}`):
 *
 * - `POST /hooks/claude-code/pre-tool-use`: the tool call as a policy check (policy.check, with the
 *   key's access), answered in Claude Code's hook output: allowed → "allow", denied → "deny",
 *   requires approval → the request stays open until a person decides or the approval expires
 *   (then "allow" or "deny"); with `?wait=0` → "ask" at once, so Claude Code asks its local user;
 *   with `?timeout=SECONDS` → "deny" if no one decided by then (the approval stays pending).
 * - `POST /hooks/claude-code/post-tool-use`: what ran, stored as a `tool_use` event through ingest,
 *   once per `tool_use_id`.
 *
 * A project API key only (`Authorization: Bearer` or `X-Api-Key`; no cookie counts here). The
 * agent is `?agent=NAME`, else the key's one agent, else "claude-code". Problems with the request
 * itself are 4xx JSON errors; note that Claude Code treats a non-2xx answer as a non-blocking error
 * (the tool runs), so a tool call Tower cannot decide once the request is understood is denied.
 */
export const CLAUDE_CODE_HOOK_PREFIX = "/hooks/claude-code/";

const ROUTES = new Map<string, ClaudeCodeHookEvent>([
  ["pre-tool-use", "PreToolUse"],
  ["post-tool-use", "PostToolUse"],
]);

/** A hook's body: a tool call's input is small, but a Write's content can be large. */
export const HOOK_BODY_BYTES = 1_048_576;

/** How often a waiting hook asks again when an approval was used by another request meanwhile. */
const MAX_APPROVAL_ROUNDS = 3;

/** The longest `?timeout=`: an approval's longest lifetime (7 days). */
const MAX_WAIT_SECONDS = 7 * 86_400;

export interface ClaudeCodeHooks {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Ends every hook waiting for an approver, answering "deny" (the approval stays pending). */
  abortAll(): void;
  /** Hook requests waiting for a person right now. */
  waiting(): number;
}

/** `?agent=`, else the key's only agent, else "claude-code". */
function agentOf(url: URL, ctx: Context): string {
  const named = url.searchParams.get("agent");
  if (named !== null) {
    if (named.trim() === "") throw new HookError(400, "BAD_REQUEST", "agent: name an agent, or leave ?agent= out");
    return named.trim();
  }
  const { caller } = ctx;
  if (caller.kind === "apiKey" && caller.agentNames?.length === 1) return caller.agentNames[0]!;
  return CLAUDE_CODE_DEFAULT_AGENT;
}

/**
 * `?wait=0` (or false, no): answer "ask" at once instead of waiting for an approver.
 * `?timeout=SECONDS`: wait at most that long, then answer "deny" (the approval stays pending, and
 * asking again waits on it): set it below the hook's own `timeout` in Claude Code's settings, since
 * Claude Code lets the tool run when a hook times out.
 */
function waitOf(url: URL): { wait: boolean; timeoutMs: number | null } {
  const wait = url.searchParams.get("wait");
  let waits: boolean;
  if (wait === null || ["1", "true", "yes", ""].includes(wait)) waits = true;
  else if (["0", "false", "no"].includes(wait)) waits = false;
  else throw new HookError(400, "BAD_REQUEST", 'wait: use wait=0 to answer "ask" at once, or leave it out to wait');
  const timeout = url.searchParams.get("timeout");
  if (timeout === null) return { wait: waits, timeoutMs: null };
  const seconds = Number(timeout);
  if (!/^\d+$/.test(timeout) || seconds < 1 || seconds > MAX_WAIT_SECONDS) {
    throw new HookError(400, "BAD_REQUEST", `timeout: whole seconds from 1 to ${MAX_WAIT_SECONDS}`);
  }
  return { wait: waits, timeoutMs: seconds * 1000 };
}

export function createClaudeCodeHooks(deps: Deps, trust: TransportTrust): ClaudeCodeHooks {
  /** Each waiting request's controller, and why the server ended its wait (none: the client left). */
  const waiting = new Map<AbortController, { ended: "shutdown" | "timeout" | null }>();

  /**
   * Waits for an approval's outcome; null when the wait was aborted, "ended" when Tower ended it
   * without one (the key was revoked or expired meanwhile: its streams end).
   */
  async function awaitApproval(
    ctx: Context,
    id: string,
    controller: AbortController,
  ): Promise<Approval | "ended" | null> {
    const caller = appRouter.createCaller(ctx, { signal: controller.signal });
    try {
      const stream = await caller.approval.wait({ id });
      for await (const approval of stream) {
        if (approval.status !== "pending") return approval;
      }
    } catch (error) {
      if (controller.signal.aborted) return null;
      throw error;
    }
    return controller.signal.aborted ? null : "ended";
  }

  async function preToolUse(res: ServerResponse, ctx: Context, payload: ClaudeCodeHookInput, url: URL): Promise<void> {
    const agent = agentOf(url, ctx);
    const { wait, timeoutMs } = waitOf(url);
    const mapped = toPolicyCheck(payload, agent);
    if (!mapped.ok) return answer(res, preToolUseDenial(mapped.reason), null);
    const caller = appRouter.createCaller(ctx);
    const check = (input: PolicyCheckInput): Promise<PolicyDecision> => caller.policy.check(input);
    let decision = await check(mapped.input);
    if (decision.decision !== "requires_approval") return answer(res, preToolUseAnswer(decision), decision);
    if (!wait) return answer(res, preToolUseAnswer(decision), decision);

    // A person decides in Tower; the request stays open until then (or the approval's expiry).
    const controller = new AbortController();
    const entry: { ended: "shutdown" | "timeout" | null } = { ended: null };
    waiting.set(controller, entry);
    const onClose = () => {
      if (!res.writableEnded) controller.abort();
    };
    res.once("close", onClose);
    const timer =
      timeoutMs === null
        ? undefined
        : setTimeout(() => {
            entry.ended = "timeout";
            controller.abort();
          }, timeoutMs);
    try {
      for (let round = 0; round < MAX_APPROVAL_ROUNDS; round++) {
        const approvalId = decision.approvalId!;
        const approval = await awaitApproval(ctx, approvalId, controller);
        if (approval === "ended") {
          // Fail closed, and say so: an answer the hook waits for forever would be worse.
          return answer(
            res,
            preToolUseDenial(
              `this key may no longer wait on approval ${approvalId} (revoked or expired meanwhile); nothing was allowed`,
            ),
            decision,
          );
        }
        if (!approval) {
          if (entry.ended === "timeout") {
            return answer(
              res,
              preToolUseDenial(
                `no decision on approval ${approvalId} within ${timeoutMs! / 1000} s; it stays pending — try again to wait for it`,
              ),
              decision,
            );
          }
          if (entry.ended === "shutdown") {
            // The server is draining: this connection carries nothing more.
            res.setHeader("Connection", "close");
            return answer(
              res,
              preToolUseDenial(
                `the server is restarting while approval ${approvalId} is pending; it stays pending — try again to wait for it`,
              ),
              decision,
            );
          }
          // The client went away: nobody to answer.
          return;
        }
        if (approval.status !== "approved") return answer(res, approvalRefusal(approval), decision);
        // Approved: asking again uses the approval (once), with its own audit row.
        decision = await check(mapped.input);
        if (decision.decision !== "requires_approval") return answer(res, preToolUseAnswer(decision), decision);
      }
      // Approved each time but used by another request each time: fail closed, the agent may ask again.
      return answer(
        res,
        preToolUseDenial(`${decision.reason} (approval ${decision.approvalId} is pending in Tower; try again)`),
        decision,
      );
    } finally {
      clearTimeout(timer);
      res.off("close", onClose);
      waiting.delete(controller);
    }
  }

  function answer(res: ServerResponse, output: PreToolUseOutput, decision: PolicyDecision | null) {
    const headers: Record<string, string> = { "X-Tower-Decision": output.hookSpecificOutput.permissionDecision };
    if (decision?.approvalId) headers["X-Tower-Approval-Id"] = decision.approvalId;
    sendJson(res, 200, output, headers);
  }

  async function postToolUse(res: ServerResponse, ctx: Context, payload: ClaudeCodeHookInput, url: URL) {
    const agent = agentOf(url, ctx);
    const event = toToolUseEvent(payload, agent);
    const result = await appRouter.createCaller(ctx).ingest.report({ items: [event] });
    const item = result.results[0]!;
    if (item.status === "rejected") {
      const forbidden = item.reason?.includes("cannot report as") ?? false;
      throw new HookError(forbidden ? 403 : 400, forbidden ? "FORBIDDEN" : "BAD_REQUEST", item.reason ?? "Rejected");
    }
    // An empty object: Claude Code reads it as success with nothing to add.
    sendJson(res, 200, {}, { "X-Tower-Event": item.status, "X-Tower-Event-Id": event.id });
  }

  async function serve(req: IncomingMessage, res: ServerResponse, url: URL, event: ClaudeCodeHookEvent) {
    const contentType = req.headers["content-type"] ?? "";
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      throw new HookError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the hook input as Content-Type: application/json");
    }
    // An API key only: a browser's session cookie never authorizes a hook.
    const credentials = { ...credentialsFrom(req, undefined, trust), sessionToken: null };
    if (!credentials.apiKey) {
      throw new HookError(401, "UNAUTHORIZED", "Pass a project API key: Authorization: Bearer <key>");
    }
    const ctx = createContext(deps, credentials);
    if (ctx.caller.kind !== "apiKey") {
      const reason = ctx.caller.kind === "anonymous" ? ctx.caller.rejectedKey : undefined;
      throw new HookError(401, "UNAUTHORIZED", reason ?? "This API key is not valid");
    }
    const payload = parsePayload(await readBody(req, HOOK_BODY_BYTES), event);
    if (event === "PreToolUse") await preToolUse(res, ctx, payload, url);
    else await postToolUse(res, ctx, payload, url);
  }

  return {
    handle(req, res) {
      const url = new URL(req.url ?? "/", "http://tower.invalid");
      const name = url.pathname.slice(CLAUDE_CODE_HOOK_PREFIX.length);
      const event = url.pathname.startsWith(CLAUDE_CODE_HOOK_PREFIX) ? ROUTES.get(name) : undefined;
      if (!event) {
        return sendError(
          res,
          new HookError(
            404,
            "NOT_FOUND",
            `No hook at ${url.pathname}; use ${CLAUDE_CODE_HOOK_PREFIX}pre-tool-use or post-tool-use`,
          ),
        );
      }
      if (req.method !== "POST") {
        return sendError(res, new HookError(405, "METHOD_NOT_SUPPORTED", `Use POST for ${url.pathname}`), {
          Allow: "POST",
        });
      }
      serve(req, res, url, event).catch((error: unknown) => {
        const hookError = hookErrorOf(error);
        if (hookError.status >= 500) deps.logger.error({ err: error, hook: event }, "claude code hook failed");
        // A body refused half-read: answer, then stop reading the rest.
        if (hookError.status === 413) res.setHeader("Connection", "close");
        sendError(res, hookError);
        if (hookError.status === 413) req.resume();
      });
    },
    abortAll() {
      for (const [controller, entry] of waiting) {
        entry.ended = "shutdown";
        controller.abort();
      }
    },
    waiting: () => waiting.size,
  };
}
