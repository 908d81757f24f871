import {
  createInProcessEventBus,
  createLoginThrottle,
  createIngestThrottle,
  createIngestWriter,
  ensureDemoProject,
  expireStaleSessions,
  pruneAllAudit,
  startIngestWriterThread,
  systemClock,
  type Deps,
} from "@tower/api";
import { createDb, WriteGate } from "@tower/db";
import { readIdentityFolder } from "@tower/shared/node";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { loadEnv } from "./env";
import { createLogger } from "./logger";
import { createTowerServer } from "./server";

const env = loadEnv();
const logger = createLogger(env.TOWER_LOG_LEVEL);

if (env.TOWER_DB_PATH !== ":memory:") mkdirSync(path.dirname(env.TOWER_DB_PATH), { recursive: true });
// Migrations run inside createDb, before the server listens.
// The event loop's writes go before the writer thread's next transaction (see WriteGate).
const writeGate = new WriteGate();
const database = createDb(env.TOWER_DB_PATH, { writesFirst: writeGate });
const deps: Deps = {
  db: database.db,
  bus: createInProcessEventBus(),
  clock: systemClock,
  logger,
  loginThrottle: createLoginThrottle(),
  ingestThrottle: createIngestThrottle({ itemsPerSecond: env.TOWER_INGEST_ITEMS_PER_SECOND }),
  // A file database gets its own writer thread; ":memory:" exists on this connection only.
  ingestWriter:
    env.TOWER_DB_PATH === ":memory:"
      ? createIngestWriter(database.db)
      : await startIngestWriterThread({ file: env.TOWER_DB_PATH, logger, writeGate }),
  heartbeat: { timeoutMs: env.TOWER_HEARTBEAT_TIMEOUT_MS, intervalMs: Math.floor(env.TOWER_HEARTBEAT_TIMEOUT_MS / 3) },
};

if (env.TOWER_DEMO) {
  const demo = ensureDemoProject(deps, readIdentityFolder(env.TOWER_DEMO_DIR));
  if (demo.created) logger.info({ projectId: demo.projectId }, "demo project created");
}

// Agents that stopped heartbeating turn offline; checked a few times per timeout.
const sweep = setInterval(
  () => {
    const { expired } = expireStaleSessions(deps, deps.heartbeat.timeoutMs);
    if (expired > 0) logger.info({ expired }, "sessions expired after missed heartbeats");
  },
  Math.min(5_000, deps.heartbeat.intervalMs),
);
sweep.unref();

// Retention: prune the audit trail's old end now and then; verification still passes after it.
const pruneAudit = () => {
  const { pruned } = pruneAllAudit(deps, env.TOWER_AUDIT_RETENTION_DAYS * 86_400_000);
  if (pruned > 0) logger.info({ pruned }, "audit rows past retention pruned");
};
pruneAudit();
const retention = setInterval(pruneAudit, 3_600_000);
retention.unref();

const server = createTowerServer(deps, {
  allowedOrigins: env.TOWER_ALLOWED_ORIGINS,
  secureCookies: env.TOWER_SECURE_COOKIES,
});
const address = await server.listen(env.TOWER_PORT, env.TOWER_HOST);
logger.info(
  { url: `http://${address.address}:${address.port}`, database: env.TOWER_DB_PATH },
  "tower server listening",
);
// Machine-readable line for scripts and tests that start the server on port 0.
if (process.send) process.send({ type: "listening", port: address.port });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down");
  const force = setTimeout(() => {
    logger.error("shutdown took too long; exiting");
    process.exit(1);
  }, 10_000);
  force.unref();
  clearInterval(sweep);
  clearInterval(retention);
  await server.close();
  await deps.ingestWriter.close();
  database.close();
  logger.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
