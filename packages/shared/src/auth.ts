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
