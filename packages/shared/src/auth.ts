import { z } from "zod";
import { NameSchema } from "./common";
import { LIMITS } from "./domain/limits";
import { RoleSchema } from "./roles";

export const EmailSchema = z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address").max(254));

export const PasswordSchema = z
  .string()
  .min(LIMITS.passwordMin, `Password must be at least ${LIMITS.passwordMin} characters`)
  .max(LIMITS.passwordMax, `Password must be at most ${LIMITS.passwordMax} characters`);

export const SignUpInputSchema = z.object({
  email: EmailSchema,
  name: NameSchema,
  password: PasswordSchema,
  /** Required once the first account exists. */
  inviteToken: z.string().min(1).max(200).optional(),
  /** The first account only: the one-time code the server printed when it started. */
  setupCode: z
    .string()
    .trim()
    .min(1, "Enter the setup code the Tower server printed when it started")
    .max(100)
    .optional(),
});
export type SignUpInput = z.infer<typeof SignUpInputSchema>;

export const LogInInputSchema = z.object({
  email: EmailSchema,
  password: z.string().min(1, "Password is required").max(LIMITS.passwordMax),
});
export type LogInInput = z.infer<typeof LogInInputSchema>;

export const UserSchema = z.object({ id: z.string(), email: z.string(), name: z.string() });
export type User = z.infer<typeof UserSchema>;

export const MembershipSchema = z.object({
  projectId: z.string(),
  projectName: z.string(),
  role: RoleSchema,
});
export type Membership = z.infer<typeof MembershipSchema>;

export const ChangePasswordInputSchema = z.object({
  currentPassword: z.string().min(1, "Enter your current password").max(LIMITS.passwordMax),
  newPassword: PasswordSchema,
});
export type ChangePasswordInput = z.infer<typeof ChangePasswordInputSchema>;

/** A one-time reset link's token (from the link's fragment) and the new password. */
export const ResetPasswordInputSchema = z.object({
  token: z.string().min(1).max(200),
  password: PasswordSchema,
});
export type ResetPasswordInput = z.infer<typeof ResetPasswordInputSchema>;

/** One of the signed-in user's own sessions, as the sessions list shows it. */
export interface UserSession {
  id: string;
  createdAt: number;
  lastSeenAt: number;
  /** When it ends unless used again before (idle), or at the latest (absolute). */
  idleExpiresAt: number;
  expiresAt: number;
  clientAddress: string | null;
  userAgent: string | null;
  /** The session this call was made with. */
  current: boolean;
}
