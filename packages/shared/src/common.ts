import { z } from "zod";
import { LIMITS } from "./domain/limits";

export const IdSchema = z.string().min(1).max(64);

// `abort`: a field that fails its first rule shows that message alone, not every rule after it.
export const NameSchema = z
  .string()
  .trim()
  .min(1, { error: "Name is required", abort: true })
  .max(LIMITS.nameLength, { error: `Name must be at most ${LIMITS.nameLength} characters`, abort: true });

export const ShortTextSchema = z
  .string()
  .trim()
  .max(LIMITS.shortTextLength, `Must be at most ${LIMITS.shortTextLength} characters`);

export const StringListSchema = z
  .array(
    z
      .string()
      .trim()
      .min(1, "Remove the empty item")
      .max(LIMITS.shortTextLength, `Each item must be at most ${LIMITS.shortTextLength} characters`),
  )
  .max(LIMITS.listItems, `At most ${LIMITS.listItems} items`);

const utf8 = new TextEncoder();

/** Whether `value`'s JSON fits in `limit` bytes of UTF-8 (each UTF-16 unit is at most 3 bytes). */
export function jsonFits(value: unknown, limit: number): boolean {
  const json = JSON.stringify(value);
  return json.length * 3 <= limit || (json.length <= limit && utf8.encode(json).length <= limit);
}

/** Free-form JSON object, bounded in size so one agent cannot bloat the database. */
export const MetadataSchema = z
  .record(z.string().max(LIMITS.shortTextLength), z.json())
  .refine((value) => jsonFits(value, LIMITS.metadataBytes), {
    message: `Metadata must be at most ${LIMITS.metadataBytes} bytes of JSON`,
  });

export const SortOrderSchema = z.enum(["asc", "desc"]);

export const PageLimitSchema = z.number().int().min(1).max(LIMITS.pageSize).default(LIMITS.defaultPageSize);

/** Every project-scoped procedure accepts this; an API key implies its own project. */
export const ProjectScopeSchema = z.object({ projectId: IdSchema.optional() });

/** Subscriptions resume after the last event id the client saw. */
export const ResumeSchema = z.object({ lastEventId: z.string().regex(/^\d+$/).nullish() });
