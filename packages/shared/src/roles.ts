import { z } from "zod";

export const RoleSchema = z.enum(["owner", "admin", "operator", "viewer"]);
export type Role = z.infer<typeof RoleSchema>;

/** Higher rank can do everything a lower rank can. */
export const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2, owner: 3 };

export function hasRole(actual: Role, minimum: Role): boolean {
  return ROLE_RANK[actual] >= ROLE_RANK[minimum];
}
