import { createInProcessEventBus, createLoginThrottle, ensureDemoProject, systemClock, type Deps } from "@tower/api";
import { createDb } from "@tower/db";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { loadEnv } from "./env";
import { createLogger } from "./logger";
import { createTowerServer } from "./server";

const env = loadEnv();
const logger = createLogger(env.TOWER_LOG_LEVEL);

if (env.TOWER_DB_PATH !== ":memory:") mkdirSync(path.dirname(env.TOWER_DB_PATH), { recursive: true });
// Migrations run inside createDb, before the server listens.
const database = createDb(env.TOWER_DB_PATH);
const deps: Deps = {
  db: database.db,
  bus: createInProcessEventBus(),
  clock: systemClock,
  logger,
  loginThrottle: createLoginThrottle(),
};

if (env.TOWER_DEMO) {
  const demo = ensureDemoProject(deps);
  if (demo.created) logger.info({ projectId: demo.projectId }, "demo project created");
}

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
  await server.close();
  database.close();
  logger.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
