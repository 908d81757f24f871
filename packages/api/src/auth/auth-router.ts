import {
  ChangePasswordInputSchema,
  IdSchema,
  LogInInputSchema,
  ResetPasswordInputSchema,
  SignUpInputSchema,
} from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { publicProcedure, userProcedure } from "../core/trpc";
import {
  changePassword,
  getUser,
  hasAnyUser,
  listMemberships,
  logIn,
  logOut,
  resetPassword,
  revokeOwnSession,
  signUp,
} from "./auth-service";
import { listUserSessions } from "./user-session-service";

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
    const session = await signUp(ctx, input, ctx.client);
    ctx.cookie.set(session.token, session.expiresAt);
    return { user: session.user };
  }),
  logIn: publicProcedure.input(LogInInputSchema).mutation(async ({ ctx, input }) => {
    const session = await logIn(ctx, input, ctx.client);
    ctx.cookie.set(session.token, session.expiresAt);
    return { user: session.user };
  }),
  logOut: userProcedure.mutation(({ ctx }) => {
    logOut(ctx, ctx.caller.sessionId);
    ctx.cookie.clear();
    return { ok: true };
  }),
  /** The signed-in user's own open sessions (this one marked `current`). */
  sessions: userProcedure.query(({ ctx }) => listUserSessions(ctx, ctx.caller.userId, ctx.caller.sessionId)),
  revokeSession: userProcedure.input(z.object({ id: IdSchema })).mutation(({ ctx, input }) => {
    revokeOwnSession(ctx, ctx.caller.userId, input.id, ctx.client);
    if (input.id === ctx.caller.sessionId) ctx.cookie.clear();
    return { ok: true };
  }),
  /** Needs the current password; every other session of the user ends. */
  changePassword: userProcedure
    .input(ChangePasswordInputSchema)
    .mutation(({ ctx, input }) => changePassword(ctx, ctx.caller.userId, ctx.caller.sessionId, input, ctx.client)),
  /** Spends a one-time reset link an admin issued; signs the person in with the new password. */
  resetPassword: publicProcedure.input(ResetPasswordInputSchema).mutation(async ({ ctx, input }) => {
    const session = await resetPassword(ctx, input, ctx.client);
    ctx.cookie.set(session.token, session.expiresAt);
    return { user: session.user };
  }),
} satisfies TRPCRouterRecord;
