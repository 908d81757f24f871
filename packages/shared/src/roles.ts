import { z } from "zod";
import { ROLES } from "./domain/roles";

export const RoleSchema = z.enum(ROLES);
