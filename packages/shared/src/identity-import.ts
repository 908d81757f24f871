import { z } from "zod";
import { IMPORT_FILES_PER_CALL, MAX_IDENTITY_FILE_CHARS, type IdentityFile } from "./domain/identity-import";

/** One uploaded identity file: YAML or JSON, one agent, a list, or `{ agents: [...] }`. */
export const IdentityFileSchema = z.object({
  name: z.string().trim().min(1).max(255),
  content: z.string().max(MAX_IDENTITY_FILE_CHARS, "Identity files must be at most 256 KiB"),
}) satisfies z.ZodType<IdentityFile, IdentityFile>;

export const AgentImportInputSchema = z.object({
  files: z
    .array(IdentityFileSchema)
    .min(1)
    .max(IMPORT_FILES_PER_CALL, `At most ${IMPORT_FILES_PER_CALL} files per call`),
});
