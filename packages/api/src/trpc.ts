import type { Actor, Role } from "@tower/shared";
import { ProjectScopeSchema } from "@tower/shared";
import { initTRPC, TRPCError } from "@trpc/server";
import { z, ZodError } from "zod";
import type { Context } from "./context";
import { DomainError } from "./errors";
import { isCallerStillValid, resolveProjectAccess } from "./services/access";
import { actorOf } from "./services/actor";
import { describeIssues } from "./services/zod-issues";

const t = initTRPC.context<Context>().create({
  // Never send stack traces, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? error.cause : null;
    let message = shape.message;
    if (zodError) message = `Invalid input: ${describeIssues(zodError)}`;
    else if (error.code === "INTERNAL_SERVER_ERROR") message = "Internal server error";
    return {
      ...shape,
      message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        zodError: zodError ? z.flattenError(zodError) : null,
      },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const router = t.router;

/** The one error boundary: typed domain errors become tRPC errors with the same code. */
const errorBoundary = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    throw new TRPCError({
      code: result.error.cause.code,
      message: result.error.cause.message,
      cause: result.error.cause,
    });
  }
  return result;
});

export const publicProcedure = t.procedure.use(errorBoundary);

/** On a WebSocket, a caller resolved at connect time is checked again on every call. */
const stillAuthorized = publicProcedure.use(({ ctx, next }) => {
  if (ctx.longLived && ctx.caller.kind !== "anonymous" && !isCallerStillValid(ctx, ctx.caller)) {
    throw new DomainError("UNAUTHORIZED", "This session or API key was revoked; sign in or reconnect with a valid key");
  }
  return next();
});

export const userProcedure = stillAuthorized.use(({ ctx, next }) => {
  if (ctx.caller.kind !== "user") throw new DomainError("UNAUTHORIZED", "Sign in first");
  return next({ ctx: { caller: ctx.caller } }); // narrows the type; tRPC merges it into ctx
});

export const apiKeyProcedure = stillAuthorized.use(({ ctx, next }) => {
  if (ctx.caller.kind !== "apiKey") throw new DomainError("UNAUTHORIZED", "Pass a project API key");
  return next({ ctx: { caller: ctx.caller } }); // narrows the type; tRPC merges it into ctx
});

/** A procedure inside one project, for callers with at least `minimum` role there. */
export function projectProcedure(minimum: Role) {
  return stillAuthorized.input(ProjectScopeSchema).use(({ ctx, input, next }) => {
    const project = resolveProjectAccess(ctx, ctx.caller, input.projectId, minimum);
    let actor: Actor | undefined;
    // Looked up only by the mutations that write to the audit trail.
    const auditActor = () => (actor ??= actorOf(ctx, ctx.caller));
    return next({ ctx: { project, actor: auditActor } });
  });
}
