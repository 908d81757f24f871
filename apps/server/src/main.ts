import {
  createAuditHeadSigner,
  createDeps,
  generateSetupCode,
  hasAnyUser,
  ensureDemoProject,
  expireApprovals,
  expireStaleSessions,
  flushDecisions,
  prepareDemoFleetKey,
  pruneAllAudit,
  pruneWork,
  sweepWork,
  loadSuitesFile,
  endInterruptedSuiteRuns,
  renewHeldLeases,
  stopAllSuites,
} from "@tower/api";
import { createDb, holdInstanceLock, WriteGate } from "@tower/db";
import { readIdentityFolder, stopWithParent } from "@tower/shared/node";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { loadEnv, suiteEnvironment } from "./env";
import { createLogger } from "./logger";
import { pushOptions } from "./push-keys";
import { createTowerServer } from "./server";
import { ConfigurationError, startStep } from "./start-problem";

const env = await startStep(() => loadEnv());
const logger = createLogger(env.TOWER_LOG_LEVEL);

if (env.TOWER_DB_PATH !== ":memory:") mkdirSync(path.dirname(env.TOWER_DB_PATH), { recursive: true });
// Migrations run inside createDb, before the server listens.
// The event loop's writes go before the writer thread's next transaction (see WriteGate).
// A suites file that is there but wrong stops the start, saying what to fix; no file means no suites.
const suites = await startStep(() => loadSuitesFile(env.TOWER_SUITES_PATH));
const suiteEnv = suiteEnvironment();
// One server per database file: a second one would share its queue and end its running suites.
const instanceLock = await startStep(() => {
  const lock = holdInstanceLock(env.TOWER_DB_PATH);
  if (lock) return lock;
  throw new ConfigurationError(
    `another Tower server is already using ${env.TOWER_DB_PATH}: stop it first, or give this one its own TOWER_DB_PATH`,
  );
});
const writeGate = new WriteGate();
const database = createDb(env.TOWER_DB_PATH, { writesFirst: writeGate });
const deps = await createDeps({
  db: database.db,
  // A file database gets its own writer and reader threads; ":memory:" exists on this connection only.
  file: env.TOWER_DB_PATH,
  logger,
  writeGate,
  ingestItemsPerSecond: env.TOWER_INGEST_ITEMS_PER_SECOND,
  heartbeat: { timeoutMs: env.TOWER_HEARTBEAT_TIMEOUT_MS, intervalMs: Math.floor(env.TOWER_HEARTBEAT_TIMEOUT_MS / 3) },
  work: { leaseMs: env.TOWER_RUN_LEASE_MS },
  // Until the first account exists, only someone who can read this process's output can create it.
  setupCode: env.TOWER_SETUP_CODE ?? generateSetupCode(),
  auditAnchor: { keyPath: env.TOWER_AUDIT_KEY_PATH, headsPath: env.TOWER_AUDIT_HEADS_PATH },
  // VAPID keys from the environment or their file beside the database; off without a contact subject.
  push: await startStep(() => pushOptions(env, logger)),
  suites: { suites: suites ?? [], env: suiteEnv, file: suites ? env.TOWER_SUITES_PATH : null },
});
// Suite runs a stopped server left behind have nobody watching them: they end as errors.
endInterruptedSuiteRuns(deps);
// No agent could renew a lease while Tower was down: each held run gets a whole lease from now.
renewHeldLeases(deps);

// Each project's chain head is signed when it moved: periodically, after pruning, and at shutdown.
const headSigner = createAuditHeadSigner(deps);
const signAuditHeads = () =>
  headSigner.signNow().then(
    ({ signed, refused }) => {
      if (signed > 0 || refused > 0) logger.debug({ signed, refused }, "audit chain heads signed");
    },
    (error: unknown) => logger.error({ err: error }, "signing audit chain heads failed"),
  );

if (env.TOWER_DEMO) {
  const demo = ensureDemoProject(deps, readIdentityFolder(env.TOWER_DEMO_DIR));
  if (demo.created) logger.info({ projectId: demo.projectId }, "demo project created");
  // The key examples/demo-fleet reports with: in a 0600 file beside the database, never logged.
  prepareDemoFleetKey(deps, {
    projectId: demo.projectId,
    file: env.TOWER_DEMO_FLEET_KEY_PATH,
    enabled: env.TOWER_DEMO_FLEET,
  });
}

// Agents that stopped heartbeating turn offline; checked a few times per timeout.
const sweep = setInterval(
  () => {
    // An error here (a full disk, an I/O error) is logged: thrown from a timer, it ended the server.
    try {
      const { expired } = expireStaleSessions(deps, deps.heartbeat.timeoutMs);
      if (expired > 0) logger.info({ expired }, "sessions expired after missed heartbeats");
    } catch (error) {
      logger.error({ err: error }, "expiring sessions failed");
    }
  },
  Math.min(5_000, deps.heartbeat.intervalMs),
);
sweep.unref();

// Approvals past their expiry are recorded as expired (a waiting agent is answered at its expiry anyway).
const approvalSweep = setInterval(() => {
  try {
    const { expired } = expireApprovals(deps);
    if (expired > 0) logger.info({ expired }, "approvals expired without a decision");
  } catch (error) {
    logger.error({ err: error }, "expiring approvals failed");
  }
}, 5_000);
approvalSweep.unref();

const WORK_SWEEP_MS = 250;
/** A sweep this much later than its time means Tower itself was not running meanwhile. */
const STALL_MS = 2_000;
// The work clock: schedules fire (a fire within a second of its time), runs whose lease lapsed or
// whose attempt overran go back to the queue, queued runs past their time to live expire. What it
// decides is in the database, so a restart resumes it without firing anything twice.
/** When the last sweep ran; none yet (the start may keep the first one waiting, and renewed leases itself). */
let lastWorkSweep: number | null = null;
const workSweep = setInterval(() => {
  const stalledMs = lastWorkSweep === null ? 0 : Date.now() - lastWorkSweep - WORK_SWEEP_MS;
  lastWorkSweep = Date.now();
  try {
    // Tower itself did not run for a while (SIGSTOP, a paused VM, a disk that hung): no agent could
    // renew meanwhile, so the leases that ran out say nothing about the agents. Renewed, as at start,
    // before a sweep would take back runs whose agents are alive and already reporting.
    if (stalledMs > STALL_MS) {
      const { renewed } = renewHeldLeases(deps);
      logger.warn(
        { stalledMs, renewed },
        `Tower did not run for ${Math.round(stalledMs / 1000)} s; held runs got a whole lease from now`,
      );
    }
    const { missed } = sweepWork(deps);
    if (missed > 0)
      logger.warn({ missed }, "schedule fires were missed while Tower was down (see each task's missed-fire setting)");
  } catch (error) {
    logger.error({ err: error }, "the work sweep failed");
  }
}, WORK_SWEEP_MS);
workSweep.unref();

// Retention: prune the audit trail's old end now and then (verification still passes after it), and
// finished runs past their retention.
const pruneOld = () => {
  try {
    const work = pruneWork(deps, env.TOWER_RUN_RETENTION_DAYS * 86_400_000);
    if (work.runs + work.workflowRuns > 0) logger.info(work, "finished runs past retention pruned");
  } catch (error) {
    logger.error({ err: error }, "pruning finished runs failed");
  }
  try {
    const { pruned } = pruneAllAudit(deps, env.TOWER_AUDIT_RETENTION_DAYS * 86_400_000);
    if (pruned > 0) logger.info({ pruned }, "audit rows past retention pruned");
  } catch (error) {
    logger.error({ err: error }, "pruning the audit trail failed");
  }
  // A new checkpoint is covered by a signed head at once, so it never looks forged for long.
  return signAuditHeads();
};
await pruneOld();
const retention = setInterval(() => void pruneOld(), 3_600_000);
retention.unref();
headSigner.start(env.TOWER_AUDIT_SIGN_INTERVAL_MS);

const server = createTowerServer(deps, {
  allowedOrigins: env.TOWER_ALLOWED_ORIGINS,
  secureCookies: env.TOWER_SECURE_COOKIES,
  trustedProxies: env.TOWER_TRUSTED_PROXIES,
  socketsPerCredential: env.TOWER_WS_SOCKETS_PER_CREDENTIAL,
  fastCall: !env.TOWER_BENCH_NO_FAST_CALL,
});
const address = await startStep(() => server.listen(env.TOWER_PORT, env.TOWER_HOST), {
  port: env.TOWER_PORT,
  host: env.TOWER_HOST,
});
logger.info(
  { url: `http://${address.address}:${address.port}`, database: env.TOWER_DB_PATH },
  "tower server listening",
);
// A suite that checks this Tower (the demo's smoke check) finds it wherever it listens.
const reachableHost = ["0.0.0.0", "::"].includes(address.address) ? "127.0.0.1" : address.address;
suiteEnv.TOWER_SERVER_URL = `http://${reachableHost.includes(":") ? `[${reachableHost}]` : reachableHost}:${address.port}`;
if (!hasAnyUser(deps)) {
  logger.info(
    { setupCode: deps.setupCode },
    `no account yet: create the first one in the dashboard with the setup code ${deps.setupCode}`,
  );
}
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
  clearInterval(approvalSweep);
  clearInterval(workSweep);
  clearInterval(retention);
  await server.close();
  // Suites still running are stopped (their process groups too) and end as errors saying Tower stopped.
  await stopAllSuites(deps);
  // Policy decisions queued for the audit chain go to the writer before it closes.
  await flushDecisions(deps);
  await deps.ingestWriter.close();
  // The last head covers every row committed before the stop.
  headSigner.stop();
  await signAuditHeads();
  await deps.audit.reader.close();
  deps.audit.anchor.close();
  database.close();
  instanceLock.close();
  logger.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
stopWithParent();
