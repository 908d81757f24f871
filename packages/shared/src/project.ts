import { z } from "zod";
import { IdSchema, NameSchema } from "./common";
import { RoleSchema } from "./roles";

export const ProjectCreateInputSchema = z.object({ name: NameSchema });
export type ProjectCreateInput = z.infer<typeof ProjectCreateInputSchema>;

export const MemberRoleInputSchema = z.object({ userId: IdSchema, role: RoleSchema });

/** Invites grant any role but owner; ownership is never handed out by link. */
export const InviteRoleSchema = RoleSchema.exclude(["owner"]);

export const InviteCreateInputSchema = z.object({
  role: InviteRoleSchema.default("operator"),
  expiresInHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(72),
});
export type InviteCreateInput = z.infer<typeof InviteCreateInputSchema>;

export const InviteTokenInputSchema = z.object({ token: z.string().min(1).max(200) });
