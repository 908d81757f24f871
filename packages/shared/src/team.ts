import { z } from "zod";
import { IdSchema, NameSchema, ShortTextSchema } from "./common";
import { LIMITS } from "./domain/limits";

/** How many agents of each role a team needs, e.g. `{ researcher: 3, reviewer: 1 }`. */
export const RoleMixSchema = z
  .record(ShortTextSchema.min(1), z.number().int().min(1).max(1_000))
  .refine((mix) => Object.keys(mix).length > 0, "Add at least one role")
  .refine((mix) => Object.keys(mix).length <= LIMITS.listItems, `At most ${LIMITS.listItems} roles`);
export type RoleMix = z.infer<typeof RoleMixSchema>;

export const TeamCreateInputSchema = z.object({
  name: NameSchema,
  description: z.string().trim().max(LIMITS.descriptionLength).default(""),
  roleMix: RoleMixSchema,
});
export type TeamCreateInput = z.infer<typeof TeamCreateInputSchema>;

export const TeamUpdateInputSchema = z.object({
  id: IdSchema,
  patch: z.object({
    name: NameSchema.optional(),
    description: z.string().trim().max(LIMITS.descriptionLength).optional(),
    roleMix: RoleMixSchema.optional(),
  }),
});

export const TeamIdInputSchema = z.object({ id: IdSchema });

export interface TeamMember {
  id: string;
  name: string;
  role: string;
  status: string;
}

export interface Team {
  id: string;
  projectId: string;
  name: string;
  description: string;
  roleMix: RoleMix;
  /** Sum of the role mix. */
  size: number;
  active: boolean;
  members: TeamMember[];
  createdAt: number;
  updatedAt: number;
}

/** What activating or deactivating changed, so the operator sees it at once. */
export interface TeamActivationReport {
  team: Team;
  /** Agents whose state changed (enabled on activation, disabled on deactivation). */
  changed: TeamMember[];
  /** Members that were already in the wanted state. */
  unchanged: TeamMember[];
  /** Roles for which too few agents were free. */
  shortfall: { role: string; wanted: number; found: number }[];
}

/** The kill switch: deactivating a whole project needs its name typed back. */
export const FleetDeactivateAllInputSchema = z.object({
  confirm: z.string().max(LIMITS.nameLength),
});

export interface FleetBulkResult {
  changed: number;
}
