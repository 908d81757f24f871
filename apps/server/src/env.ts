import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_INGEST_ITEMS_PER_SECOND } from "@tower/api";
import { INGEST_MAX_ITEMS, LIMITS, PushSubjectSchema } from "@tower/shared";
import { parseTrustedProxies } from "@tower/shared/node";
import { z } from "zod";
import { ConfigurationError } from "./start-problem";

/** A comma-separated list, `fallback` when the variable is unset (set it empty for none). */
const listOr = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    );
const list = listOr("");

const EnvSchema = z.object({
  TOWER_HOST: z.string().default("127.0.0.1"),
  TOWER_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
  TOWER_DB_PATH: z.string().default("data/tower.sqlite"),
  /**
   * The browser origins allowed to call the API (the dashboard's, as people open it). Never
   * inferred from the request's own Host header, which a DNS-rebinding page controls.
   */
  TOWER_ALLOWED_ORIGINS: listOr("http://localhost:3000,http://127.0.0.1:3000"),
  /**
   * Addresses or CIDR ranges (or `loopback`) of proxies whose X-Forwarded-For and -Proto are
   * believed; from anyone else the socket's peer is the client. Default none.
   */
  TOWER_TRUSTED_PROXIES: list.transform((entries, ctx) => {
    try {
      return parseTrustedProxies(entries);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  }),
  /** Presets the one-time setup code for the first account (else a random one is printed at start). */
  TOWER_SETUP_CODE: z.string().trim().min(8, "Use at least 8 characters").optional(),
  /** `auto` marks the cookie Secure when the request came over HTTPS (directly or via a trusted proxy). */
  TOWER_SECURE_COOKIES: z.enum(["auto", "true", "false"]).default("auto"),
  TOWER_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** An agent that sends no heartbeat for this long turns offline and its session ends. */
  TOWER_HEARTBEAT_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  /**
   * A run an agent claimed goes back to the queue after this long without a heartbeat from it (the
   * SDK heartbeats three times within it): how soon the work of a crashed agent is taken up again.
   */
  TOWER_RUN_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  /** Finished runs (with their logs) and finished workflow runs older than this are deleted. */
  TOWER_RUN_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(30),
  /** Audit rows older than this are pruned (behind a checkpoint that keeps the chain verifiable). */
  TOWER_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(90),
  /**
   * The Ed25519 private key that signs audit chain heads, created on first start (mode 0600).
   * Default: `audit-signing-key.pem` beside the database. Somewhere else (another volume, other
   * permissions) is better: whoever holds both the database and the key can forge signed heads.
   */
  TOWER_AUDIT_KEY_PATH: z.string().min(1).optional(),
  /** The signed chain heads, appended as JSON lines. Default: `audit-heads.jsonl` beside the database. */
  TOWER_AUDIT_HEADS_PATH: z.string().min(1).optional(),
  /** How often each project's chain head is signed when it moved (it is also signed at shutdown). */
  TOWER_AUDIT_SIGN_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(60_000),
  /**
   * Reports one API key (or session) may send per second before it gets 429 with the time to wait.
   * At least one full batch, or a batch that size could never pass.
   */
  TOWER_INGEST_ITEMS_PER_SECOND: z.coerce.number().int().min(INGEST_MAX_ITEMS).default(DEFAULT_INGEST_ITEMS_PER_SECOND),
  /** WebSockets one API key or session may hold open at once (load tests with one key raise it). */
  TOWER_WS_SOCKETS_PER_CREDENTIAL: z.coerce.number().int().min(1).default(LIMITS.wsSocketsPerCredential),
  /**
   * The identity files of the demo project: the repository's examples/fleet, found from this module
   * both as src/env.ts and bundled into dist/main.js (one folder below apps/server either way).
   */
  TOWER_DEMO_DIR: z.string().default(fileURLToPath(new URL("../../../examples/fleet", import.meta.url))),
  /** Create the demo project on start (idempotent). */
  TOWER_DEMO: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  /**
   * With TOWER_DEMO: give the demo project its own API key for `examples/demo-fleet` (which
   * `npm start` runs beside the servers): an `agent` key bound to the fleet's agents, written to
   * TOWER_DEMO_FLEET_KEY_PATH and never logged. `false` creates none, revokes the one made before
   * and deletes the file (and `npm start` then starts no fleet).
   */
  TOWER_DEMO_FLEET: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
  /** Where the demo fleet's key is kept (mode 0600). Default: `demo-fleet.key` beside the database. */
  TOWER_DEMO_FLEET_KEY_PATH: z.string().min(1).optional(),
  /**
   * Web push: the contact push services may reach whoever runs this server at (VAPID `sub`), a
   * `mailto:` address or an `https:` URL, never this machine (localhost is refused by Apple's and
   * others' services). Unset (or empty): the server runs, sends no notifications and says so at start.
   */
  TOWER_PUSH_SUBJECT: z
    .string()
    .optional()
    .transform((value) => value?.trim() || undefined)
    .pipe(PushSubjectSchema.optional()),
  /**
   * The VAPID key pair (base64url, as `web-push generate-vapid-keys` prints them), both or neither.
   * Neither: a pair is created on first start in TOWER_VAPID_KEYS_PATH and kept. Changing the pair
   * ends every device's subscription (browsers subscribed with the old public key).
   */
  TOWER_VAPID_PUBLIC_KEY: z.string().trim().min(1).optional(),
  /** Never logged. */
  TOWER_VAPID_PRIVATE_KEY: z.string().trim().min(1).optional(),
  /**
   * Push services to send to besides the browsers' own (FCM, Mozilla's, Apple's, Windows'): host
   * names, comma-separated; a subdomain of one is included. Subscriptions elsewhere are refused.
   */
  TOWER_PUSH_SERVICES: list.pipe(
    z.array(
      z
        .string()
        .regex(
          /^[a-z0-9.-]+$/i,
          "Must be host names (such as push.example.com), comma-separated, without scheme or port",
        ),
    ),
  ),
  /** The generated VAPID key pair, JSON, mode 0600. Default: `vapid-keys.json` beside the database. */
  TOWER_VAPID_KEYS_PATH: z.string().min(1).optional(),
  /**
   * The test suites operators may start from the dashboard (YAML or JSON; see README "Test suites").
   * Default: `tower-suites.yaml` beside the database; no file there means no suites (with
   * TOWER_DEMO, the example suite in examples/suites instead).
   */
  TOWER_SUITES_PATH: z.string().min(1).optional(),
  /**
   * Benchmarks only: `1` sends every HTTP call through tRPC's adapter, not the fast path for plain
   * queries and mutations (fast-call.ts), so `pnpm bench` measures what that path gains. Both
   * paths give the same answers; nothing but speed changes.
   */
  TOWER_BENCH_NO_FAST_CALL: z
    .enum(["0", "1"])
    .default("0")
    .transform((v) => v === "1"),
});

export type Env = z.infer<typeof EnvSchema> & {
  TOWER_AUDIT_KEY_PATH: string;
  TOWER_AUDIT_HEADS_PATH: string;
  TOWER_DEMO_FLEET_KEY_PATH: string;
  TOWER_VAPID_KEYS_PATH: string;
  TOWER_SUITES_PATH: string;
};

/** The only place the server reads process.env. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`).join("\n");
    throw new ConfigurationError(`Invalid server configuration:\n${problems}`);
  }
  // A key given without its other half would sign with a pair no browser subscribed with.
  if (Boolean(parsed.data.TOWER_VAPID_PUBLIC_KEY) !== Boolean(parsed.data.TOWER_VAPID_PRIVATE_KEY)) {
    const missing = parsed.data.TOWER_VAPID_PUBLIC_KEY ? "TOWER_VAPID_PRIVATE_KEY" : "TOWER_VAPID_PUBLIC_KEY";
    throw new ConfigurationError(
      `Invalid server configuration:\n  ${missing}: set TOWER_VAPID_PUBLIC_KEY and TOWER_VAPID_PRIVATE_KEY together, or neither (a pair is then generated beside the database)`,
    );
  }
  const dataFolder = path.dirname(path.resolve(parsed.data.TOWER_DB_PATH));
  return {
    ...parsed.data,
    TOWER_DB_PATH: path.resolve(parsed.data.TOWER_DB_PATH),
    TOWER_AUDIT_KEY_PATH: path.resolve(
      parsed.data.TOWER_AUDIT_KEY_PATH ?? path.join(dataFolder, "audit-signing-key.pem"),
    ),
    TOWER_AUDIT_HEADS_PATH: path.resolve(
      parsed.data.TOWER_AUDIT_HEADS_PATH ?? path.join(dataFolder, "audit-heads.jsonl"),
    ),
    TOWER_DEMO_FLEET_KEY_PATH: path.resolve(
      parsed.data.TOWER_DEMO_FLEET_KEY_PATH ?? path.join(dataFolder, "demo-fleet.key"),
    ),
    TOWER_VAPID_KEYS_PATH: path.resolve(parsed.data.TOWER_VAPID_KEYS_PATH ?? path.join(dataFolder, "vapid-keys.json")),
    TOWER_SUITES_PATH: path.resolve(
      parsed.data.TOWER_SUITES_PATH ?? defaultSuitesFile(dataFolder, parsed.data.TOWER_DEMO),
    ),
  };
}

/** The example suite (a Playwright check of Tower itself) the demo offers when no suites file exists. */
const EXAMPLE_SUITES = fileURLToPath(new URL("../../../examples/suites/tower-suites.yaml", import.meta.url));

function defaultSuitesFile(dataFolder: string, demo: boolean): string {
  const own = path.join(dataFolder, "tower-suites.yaml");
  return demo && !existsSync(own) ? EXAMPLE_SUITES : own;
}

/** Tower's reporters for test runners (live results: see packages/api/src/suites/reporters). */
const REPORTERS = fileURLToPath(new URL("../../../packages/api/src/suites/reporters/", import.meta.url));

/**
 * What a suite's command inherits: the server's environment, plus where Tower's reporters are, so
 * a suite can say `--reporter=$TOWER_PLAYWRIGHT_REPORTER` wherever Tower is installed. Once the
 * server listens, `TOWER_SERVER_URL` is set in it too: where this Tower answers (see main.ts).
 */
export function suiteEnvironment(source: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  return {
    ...source,
    TOWER_PLAYWRIGHT_REPORTER: path.join(REPORTERS, "playwright-reporter.mjs"),
    TOWER_VITEST_REPORTER: path.join(REPORTERS, "vitest-reporter.mjs"),
    TOWER_NODE_TEST_REPORTER: path.join(REPORTERS, "node-test-reporter.mjs"),
  };
}
