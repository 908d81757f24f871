import type { Actor, Role } from "@tower/shared";
import { findInputProblem, LIMITS, ProjectScopeSchema, type InputProblem } from "@tower/shared";
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError, ZodRealError } from "zod";
import { invalidCallerMessage, isCallerStillValid, resolveProjectAccess } from "./access";
import { actorOf } from "./actor";
import type { Context } from "./deps";
import { DomainError } from "./errors";
import { unknownFieldProblem } from "./input-keys";
import type { ProcedureMeta, TowerErrorShape } from "./procedure-types";
import { releaseOnEnd } from "./release-on-end";
import { describeIssues, firstIssuePath, flattenIssues } from "./zod-issues";

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    // Never send stack traces, whatever NODE_ENV says.
    isDev: false,
    // Subscriptions go over WebSocket only, where each socket's subscriptions, each credential's
    // sockets and each client's unread data are capped; over HTTP (server-sent events) they were not.
    sse: { enabled: false },
    errorFormatter({ shape, error }): TowerErrorShape {
      const zodError = error.cause instanceof ZodError ? error.cause : null;
      const field = error.cause instanceof DomainError ? error.cause.field : zodError ? firstIssuePath(zodError) : null;
      let message = shape.message;
      if (zodError) message = `Invalid input: ${describeIssues(zodError)}`;
      else if (error.code === "INTERNAL_SERVER_ERROR") message = "Internal server error";
      // The transport refuses an oversized body without words (both of the server's HTTP paths).
      else if (error.code === "PAYLOAD_TOO_LARGE" && message === "PAYLOAD_TOO_LARGE")
        message = `The request body is larger than ${LIMITS.requestBodyBytes.toLocaleString("en-US")} bytes; send less at once`;
      return {
        ...shape,
        message,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          zodError: zodError ? flattenIssues(zodError) : null,
          field,
        },
      };
    },
  });

export const createCallerFactory = t.createCallerFactory;
export const router = t.router;

/** The one error boundary: typed domain errors become tRPC errors with the same code. */
function throwDomainErrors<R extends { ok: boolean; error?: { cause?: unknown } }>(result: R): R {
  if (!result.ok && result.error?.cause instanceof DomainError) throw asTRPCError(result.error.cause);
  return result;
}

const asTRPCError = (cause: DomainError) => new TRPCError({ code: cause.code, message: cause.message, cause });

/**
 * The problem as the zod error a failed parse throws (an Error, unlike a bare `ZodError`), so it
 * reaches clients as every other invalid input does: "Invalid input: …" with its field errors.
 */
const inputProblemError = ({ path, message }: InputProblem) =>
  new ZodRealError([{ code: "custom", path, message, input: undefined }]);

/**
 * A WebSocket carries calls as fast as a client sends them: past `LIMITS.wsCallsInFlight` calls
 * started and not yet answered, its next calls are refused until answers go out, so one client's
 * burst cannot queue unbounded work ahead of everyone else's. (A subscription counts until it
 * has started.)
 */
function assertRoomForCall(calls: { count: number }) {
  if (calls.count >= LIMITS.wsCallsInFlight) {
    throw new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message: `At most ${LIMITS.wsCallsInFlight} calls may wait for an answer on one connection; wait for answers before sending more`,
    });
  }
}

/**
 * A WebSocket holds at most `LIMITS.wsSubscriptionsPerSocket` subscriptions at once: each holds
 * memory for as long as it is open, and a client could otherwise open them without end.
 */
function assertRoomForSubscription(open: { count: number }) {
  if (open.count >= LIMITS.wsSubscriptionsPerSocket) {
    throw new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message: `At most ${LIMITS.wsSubscriptionsPerSocket} subscriptions may be open on one connection; stop one before starting another`,
    });
  }
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === "function";

/**
 * What every call goes through, in one middleware: each layer of tRPC's chain copies the call's
 * options, and one layer instead of five took a policy check from about 100 to 77 µs in process.
 * - the WebSocket's limits on calls waiting for an answer and on open subscriptions;
 * - every input, before any parser sees it: bounded nesting and valid Unicode text (see
 *   `findInputProblem`), so no input can overflow the stack or be stored as something else; and,
 *   for queries and mutations, no field the procedure does not take (see input-keys.ts);
 * - with `recheckCaller`, on a WebSocket, the caller resolved at connect time checked again
 *   (revoked, expired);
 * - the one error boundary, around the rest.
 */
const guards = (recheckCaller: boolean) =>
  t.middleware(async ({ ctx, type, path, getRawInput, meta, next }) => {
    const calls = ctx.callsInFlight;
    const open = type === "subscription" ? ctx.subscriptions : null;
    if (calls) assertRoomForCall(calls);
    if (open) assertRoomForSubscription(open);
    // Counted before anything awaits: the calls of a burst read in one turn meet the limits too.
    if (calls) calls.count++;
    if (open) open.count++;
    let result;
    try {
      const input = await getRawInput();
      const problem =
        findInputProblem(input, { skipItems: meta?.itemsCheckedOneByOne }) ??
        (type === "subscription" ? null : unknownFieldProblem(path, input));
      if (problem) throw new TRPCError({ code: "BAD_REQUEST", cause: inputProblemError(problem) });
      if (recheckCaller && ctx.longLived && ctx.caller.kind !== "anonymous" && !isCallerStillValid(ctx, ctx.caller)) {
        throw asTRPCError(new DomainError("UNAUTHORIZED", invalidCallerMessage(ctx, ctx.caller)));
      }
      result = await next();
    } catch (error) {
      if (open) open.count--;
      throw error;
    } finally {
      if (calls) calls.count--;
    }
    if (!open) return throwDomainErrors(result);
    const stream = result.ok ? result.data : null;
    if (isAsyncIterable(stream)) return { ...result, data: releaseOnEnd(stream, () => open.count--) };
    open.count--;
    return throwDomainErrors(result);
  });

export const publicProcedure = t.procedure.use(guards(false));

/** On a WebSocket, a caller resolved at connect time is checked again on every call (revoked, expired). */
const stillAuthorized = t.procedure.use(guards(true));

export const userProcedure = stillAuthorized.use(({ ctx, next }) => {
  if (ctx.caller.kind !== "user") throw new DomainError("UNAUTHORIZED", "Sign in first");
  return next({ ctx: { caller: ctx.caller } }); // narrows the type; tRPC merges it into ctx
});

export const apiKeyProcedure = stillAuthorized.use(({ ctx, next }) => {
  if (ctx.caller.kind !== "apiKey") {
    const rejected = ctx.caller.kind === "anonymous" ? ctx.caller.rejectedKey : undefined;
    throw new DomainError("UNAUTHORIZED", rejected ?? "Pass a project API key");
  }
  return next({ ctx: { caller: ctx.caller } }); // narrows the type; tRPC merges it into ctx
});

/**
 * A procedure inside one project, for callers with at least `minimum` role there; with `agents`,
 * also for agent keys, as their own agents only (`ctx.project.actsAs`, which the service checks).
 */
export function projectProcedure(minimum: Role, options: { agents?: boolean } = {}) {
  return stillAuthorized.input(ProjectScopeSchema).use(({ ctx, input, next }) => {
    const project = resolveProjectAccess(ctx, ctx.caller, input.projectId, minimum, options);
    let actor: Actor | undefined;
    // Looked up only by the mutations that write to the audit trail.
    const auditActor = () => (actor ??= actorOf(ctx, ctx.caller));
    return next({ ctx: { project, actor: auditActor } });
  });
}
