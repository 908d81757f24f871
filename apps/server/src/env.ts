import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

const list = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  );

const EnvSchema = z.object({
  TOWER_HOST: z.string().default("127.0.0.1"),
  TOWER_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
  TOWER_DB_PATH: z.string().default("data/tower.sqlite"),
  /** Browser origins allowed besides the request's own (same-origin is always allowed). */
  TOWER_ALLOWED_ORIGINS: list,
  /** `auto` marks the cookie Secure when the request came over HTTPS (directly or via a proxy). */
  TOWER_SECURE_COOKIES: z.enum(["auto", "true", "false"]).default("auto"),
  TOWER_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** An agent that sends no heartbeat for this long turns offline and its session ends. */
  TOWER_HEARTBEAT_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  /** Audit rows older than this are pruned (behind a checkpoint that keeps the chain verifiable). */
  TOWER_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(90),
  /** Reports one API key may send per second before it gets 429 with the time to wait. */
  TOWER_INGEST_ITEMS_PER_SECOND: z.coerce.number().int().min(1).default(100_000),
  /** Create the demo project on start (idempotent). */
  TOWER_DEMO_DIR: z.string().default(fileURLToPath(new URL("../../../examples/fleet", import.meta.url))),
  TOWER_DEMO: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
});

export type Env = z.infer<typeof EnvSchema>;

/** The only place the server reads process.env. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`).join("\n");
    throw new Error(`Invalid server configuration:\n${problems}`);
  }
  return { ...parsed.data, TOWER_DB_PATH: path.resolve(parsed.data.TOWER_DB_PATH) };
}
