import type { TowerDb, WriteGate } from "@tower/db";
import type { Logger } from "pino";
import { createAuditAnchor, openAuditAnchor } from "./audit/audit-anchor";
import { createInProcessAuditReader } from "./audit/audit-chain-reader";
import { startAuditReaderThread } from "./audit/audit-reader-thread";
import { createAuditVerifyThrottle } from "./audit/audit-verify-throttle";
import { createLoginThrottle } from "./auth/login-throttle";
import { generateSetupCode } from "./auth/setup-code";
import { systemClock, type Clock } from "./core/clock";
import { createConnectionState } from "./core/connection-state";
import type { Deps } from "./core/deps";
import { createInProcessEventBus } from "./core/event-bus";
import { DEFAULT_WORK_POLICY, type HeartbeatPolicy, type SuiteConfiguration, type WorkPolicy } from "./core/ports";
import { createIngestWriter } from "./ingest/group-commit";
import { createIngestThrottle } from "./ingest/ingest-throttle";
import { startIngestWriterThread } from "./ingest/ingest-writer-thread";
import { withPushNotifications } from "./push/push-notifier";
import { createWebPushSender, type WebPushSenderOptions } from "./push/web-push-sender";
import { DEFAULT_HEARTBEAT } from "./sessions/session-service";

export interface CreateDepsOptions {
  /** The app's connection (`createDb(file, { writesFirst: writeGate })`). */
  db: TowerDb;
  /**
   * The database file. A file gets an ingest writer thread and an audit reader thread, each on its
   * own connection to it; ":memory:" exists on `db`'s connection only, so both run in process.
   */
  file: string;
  logger: Logger;
  /** The gate `db` was opened with: its writes go before the writer thread's next transaction. */
  writeGate?: WriteGate;
  /** The threads' Node flags; undefined inherits the process's (see `startIngestWriterThread`). */
  execArgv?: string[];
  clock?: Clock;
  ingestItemsPerSecond?: number;
  heartbeat?: HeartbeatPolicy;
  work?: WorkPolicy;
  /** The first account's one-time code; a fresh one by default. */
  setupCode?: string;
  /** The audit signing key and signed heads (files beside the database); none: kept in memory. */
  auditAnchor?: { keyPath: string; headsPath: string };
  /** Web push (VAPID keys, contact subject); none: the server sends no notifications. */
  push?: WebPushSenderOptions;
  /** The configured test suites; none: the dashboard offers none. */
  suites?: SuiteConfiguration;
}

/**
 * The one place `Deps` is assembled: the server's main, the server's test harness and the bench
 * call it, so what a connection carries (its `state`, threads, throttles) is decided once.
 */
export async function createDeps({
  db,
  file,
  logger,
  writeGate,
  execArgv,
  clock = systemClock,
  ingestItemsPerSecond,
  heartbeat = DEFAULT_HEARTBEAT,
  work = DEFAULT_WORK_POLICY,
  setupCode = generateSetupCode(),
  auditAnchor,
  push,
  suites,
}: CreateDepsOptions): Promise<Deps> {
  const inProcess = file === ":memory:";
  // The in-process writer runs on `db`'s connection, so it shares its state; the writer thread has a
  // connection of its own and creates its own state (ingest-writer-worker.ts).
  const state = createConnectionState();
  // With push on, the bus also hands approvals, budget alerts and agent errors to the notifier.
  return withPushNotifications({
    db,
    state,
    bus: createInProcessEventBus(),
    clock,
    logger,
    loginThrottle: createLoginThrottle(),
    ingestThrottle: createIngestThrottle(
      ingestItemsPerSecond === undefined ? {} : { itemsPerSecond: ingestItemsPerSecond },
    ),
    ingestWriter: inProcess
      ? createIngestWriter(db, state)
      : await startIngestWriterThread({ file, logger, execArgv, writeGate }),
    heartbeat,
    work,
    setupCode,
    audit: {
      // Verify walks and heads to sign are read on their own thread and read-only connection, so a
      // walk of the whole trail never stalls the event loop.
      reader: inProcess ? createInProcessAuditReader(db) : await startAuditReaderThread({ file, logger, execArgv }),
      // The signing key and the signed heads live in files beside the database, never in it.
      anchor: auditAnchor ? await openAuditAnchor({ ...auditAnchor, logger }) : createAuditAnchor(),
      verifyThrottle: createAuditVerifyThrottle(),
    },
    push: push ? createWebPushSender(push) : undefined,
    suites,
  });
}
