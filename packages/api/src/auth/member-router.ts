import { MemberInputSchema, MemberRoleInputSchema } from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { DomainError } from "../core/errors";
import { projectProcedure } from "../core/trpc";
import { createPasswordResetLink, removeMember, revokeMemberSessions, setMemberRole } from "./member-service";

/**
 * Managing people is for people: an owner or admin signed in, never an API key (whatever its
 * scopes), since a key acts for software and must not be able to lock its project's humans out.
 */
const managerProcedure = projectProcedure("admin").use(({ ctx, next }) => {
  if (ctx.caller.kind !== "user" || ctx.project.role === null) {
    throw new DomainError("FORBIDDEN", "Only a signed-in owner or admin can manage members");
  }
  return next({ ctx: { manager: { userId: ctx.caller.userId, role: ctx.project.role } } });
});

export const memberRouter = {
  remove: managerProcedure.input(MemberInputSchema).mutation(({ ctx, input }) => {
    removeMember(ctx, ctx.project.projectId, ctx.manager, input.userId, ctx.actor());
    return { ok: true };
  }),
  setRole: managerProcedure
    .input(MemberRoleInputSchema)
    .mutation(({ ctx, input }) =>
      setMemberRole(ctx, ctx.project.projectId, ctx.manager, input.userId, input.role, ctx.actor()),
    ),
  /** Signs the member out everywhere (every session, open streams included). */
  revokeSessions: managerProcedure
    .input(MemberInputSchema)
    .mutation(({ ctx, input }) =>
      revokeMemberSessions(ctx, ctx.project.projectId, ctx.manager, input.userId, ctx.actor()),
    ),
  /** A one-time password-reset link's token, shown once; valid for an hour. */
  createResetLink: managerProcedure
    .input(MemberInputSchema)
    .mutation(({ ctx, input }) =>
      createPasswordResetLink(ctx, ctx.project.projectId, ctx.manager, input.userId, ctx.actor()),
    ),
} satisfies TRPCRouterRecord;
