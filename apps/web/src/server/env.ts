import { parseTrustedProxies } from "@tower/shared/node";
import { z } from "zod";

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Loopback unless told otherwise: exposing the dashboard is a choice (see the README). */
  HOST: z.string().min(1).default("127.0.0.1"),
  /** Where the Tower API server listens; every `/trpc` request is proxied there. */
  TOWER_SERVER_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:3001"),
  /**
   * Addresses or CIDR ranges (or `loopback`) of proxies in front of the dashboard whose
   * X-Forwarded-For and -Proto are passed on; from anyone else the socket's peer is the client.
   */
  TOWER_TRUSTED_PROXIES: z
    .string()
    .default("")
    .transform((value, ctx) => {
      try {
        return parseTrustedProxies(
          value
            .split(",")
            .map((item) => item.trim())
            .filter(Boolean),
        );
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
});

export type WebEnv = z.infer<typeof EnvSchema>;

/** The only place the web server reads process.env (the browser's build constant: src/lib/env.ts). */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): WebEnv {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`).join("\n");
    throw new Error(`Invalid web configuration:\n${problems}`);
  }
  return parsed.data;
}
