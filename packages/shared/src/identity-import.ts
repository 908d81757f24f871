import { z } from "zod";

/** One uploaded identity file: YAML or JSON, one agent, a list, or `{ agents: [...] }`. */
export const IdentityFileSchema = z.object({
  name: z.string().trim().min(1).max(255),
  content: z.string().max(262_144, "Identity files must be at most 256 KiB"),
});
export type IdentityFile = z.infer<typeof IdentityFileSchema>;

export const IMPORT_FILES_PER_CALL = 50;

export const AgentImportInputSchema = z.object({
  files: z
    .array(IdentityFileSchema)
    .min(1)
    .max(IMPORT_FILES_PER_CALL, `At most ${IMPORT_FILES_PER_CALL} files per call`),
});

export const IMPORT_OUTCOMES = ["created", "updated", "unchanged", "rejected"] as const;
export type ImportOutcome = (typeof IMPORT_OUTCOMES)[number];

export interface ImportFileReport {
  file: string;
  agents: { name: string; outcome: ImportOutcome; reason?: string }[];
  /** Set when the file itself could not be read (bad YAML or JSON, wrong shape). */
  error?: string;
}

export interface AgentImportReport {
  files: ImportFileReport[];
  totals: Record<ImportOutcome, number>;
}
