import { z } from "zod";

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** Where the Tower API server listens; every `/trpc` request is proxied there. */
  TOWER_SERVER_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:3001"),
});

export type WebEnv = z.infer<typeof EnvSchema>;

/** The only place the web app reads process.env. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): WebEnv {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`).join("\n");
    throw new Error(`Invalid web configuration:\n${problems}`);
  }
  return parsed.data;
}
