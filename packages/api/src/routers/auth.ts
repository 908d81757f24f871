import { LogInInputSchema, SignUpInputSchema } from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { getUser, hasAnyUser, listMemberships, logIn, logOut, signUp } from "../services/auth-service";
import { publicProcedure, userProcedure } from "../trpc";

export const authRouter = {
  /** What the sign-in screen needs to know: is this a fresh install, and who am I. */
  me: publicProcedure.query(({ ctx }) => {
    const setupNeeded = !hasAnyUser(ctx);
    if (ctx.caller.kind !== "user") return { user: null, memberships: [], setupNeeded };
    return {
      user: getUser(ctx, ctx.caller.userId),
      memberships: listMemberships(ctx, ctx.caller.userId),
      setupNeeded,
    };
  }),
  signUp: publicProcedure.input(SignUpInputSchema).mutation(async ({ ctx, input }) => {
    const session = await signUp(ctx, input);
    ctx.cookie.set(session.token, session.expiresAt);
    return { user: session.user };
  }),
  logIn: publicProcedure.input(LogInInputSchema).mutation(async ({ ctx, input }) => {
    const session = await logIn(ctx, input);
    ctx.cookie.set(session.token, session.expiresAt);
    return { user: session.user };
  }),
  logOut: userProcedure.mutation(({ ctx }) => {
    logOut(ctx, ctx.caller.sessionId);
    ctx.cookie.clear();
    return { ok: true };
  }),
} satisfies TRPCRouterRecord;
