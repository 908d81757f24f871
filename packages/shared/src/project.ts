import { z } from "zod";
import { IdSchema, NameSchema } from "./common";
import type { Role } from "./domain/roles";
import { RoleSchema } from "./roles";

export const ProjectCreateInputSchema = z.object({ name: NameSchema });
export type ProjectCreateInput = z.infer<typeof ProjectCreateInputSchema>;

export const MemberInputSchema = z.object({ userId: IdSchema });

export const MemberRoleInputSchema = z.object({ userId: IdSchema, role: RoleSchema });

/** A project member; `email` only for owners and admins (null for everyone else). */
export interface Member {
  userId: string;
  name: string;
  email: string | null;
  role: Role;
  since: number;
}

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

/** A project's own rules for what agents may do by themselves. */
export const ProjectSettingsSchema = z.object({
  /** Whether an agent key may register its agent when it does not exist yet (from `session.start`). */
  agentSelfRegistration: z.boolean(),
});
export type ProjectSettings = z.infer<typeof ProjectSettingsSchema>;

export const ProjectSettingsPatchSchema = ProjectSettingsSchema.partial();
