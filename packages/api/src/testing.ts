import { GENESIS_HASH, hashAuditRow } from "@tower/shared/node";
import { createDb, type DbHandle } from "@tower/db";
import { createTestDb } from "@tower/db/test";
import pino from "pino";
import { createInProcessAuditDeps } from "./audit/audit-deps";
import { createLoginThrottle } from "./auth/login-throttle";
import type { Clock } from "./core/clock";
import { createConnectionState } from "./core/connection-state";
import { createContext } from "./core/context";
import type { Credentials, Deps } from "./core/deps";
import { createInProcessEventBus } from "./core/event-bus";
import { DEFAULT_WORK_POLICY, type SuiteConfiguration } from "./core/ports";
import { createCallerFactory } from "./core/trpc";
import { createIngestWriter } from "./ingest/group-commit";
import { createIngestThrottle } from "./ingest/ingest-throttle";
import { withPushNotifications } from "./push/push-notifier";
import { createWebPushSender, type WebPushSenderOptions } from "./push/web-push-sender";
import { appRouter } from "./root";
import { DEFAULT_HEARTBEAT } from "./sessions/session-service";

/** A clock tests move by hand. */
export function createManualClock(start = Date.UTC(2026, 0, 1)): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

/** The setup code test dependencies are made with: the first sign-up passes it. */
export const TEST_SETUP_CODE = "TEST-SETU-PCOD-E234";

/**
 * Real dependencies on an in-memory database (or the given file) with the real migrations; with
 * `push`, a real web push sender and notifier (as the server makes them).
 */
export function createTestDeps({
  file,
  push,
  suites,
  trace,
}: {
  file?: string;
  push?: WebPushSenderOptions;
  suites?: SuiteConfiguration;
  /** Called with every statement the database runs (to count what a path costs). */
  trace?: (sql: string) => void;
} = {}) {
  const handle = file ? createDb(file, { trace }) : createTestDb({ trace });
  const clock = createManualClock();
  // The in-process writer runs on this connection, so it shares its state.
  const state = createConnectionState();
  const deps: Deps = withPushNotifications({
    db: handle.db,
    state,
    bus: createInProcessEventBus(),
    clock,
    logger: pino({ level: "silent" }),
    loginThrottle: createLoginThrottle(),
    ingestThrottle: createIngestThrottle(),
    ingestWriter: createIngestWriter(handle.db, state),
    heartbeat: DEFAULT_HEARTBEAT,
    work: DEFAULT_WORK_POLICY,
    setupCode: TEST_SETUP_CODE,
    audit: createInProcessAuditDeps(handle.db),
    push: push ? createWebPushSender(push) : undefined,
    suites,
  });
  return { deps, clock, close: handle.close, sqlite: handle.sqlite };
}

const createCaller = createCallerFactory(appRouter);

/** A server-side caller acting with the given credentials; `cookies` records what would be set. */
export function callerFor(deps: Deps, credentials: Credentials = {}) {
  const cookies: { token: string | null } = { token: null };
  const caller = createCaller(
    createContext(deps, credentials, {
      set: (token) => (cookies.token = token),
      clear: () => (cookies.token = null),
    }),
  );
  // The caller is itself a proxy (every property is a procedure), so `cookies` is served beside it.
  return new Proxy(caller, {
    get: (target, property, receiver) => (property === "cookies" ? cookies : Reflect.get(target, property, receiver)),
  }) as typeof caller & { cookies: typeof cookies };
}

/**
 * Appends `n` rows to a project's audit chain straight through SQLite, each correctly linked and
 * hashed: a long chain in a second, for tests and measurements of verification. They are dated
 * from `at` on (now by default, so a server's retention keeps them).
 */
export function appendAuditRows(sqlite: DbHandle["sqlite"], projectId: string, n: number, at = Date.now()): void {
  const last = sqlite
    .prepare("select hash from audit_events where project_id = ? order by id desc limit 1")
    .pluck()
    .get(projectId) as string | undefined;
  const checkpoint = sqlite
    .prepare("select through_hash from audit_checkpoints where project_id = ? order by id desc limit 1")
    .pluck()
    .get(projectId) as string | undefined;
  let prevHash = last ?? checkpoint ?? GENESIS_HASH;
  const insert = sqlite.prepare(
    `insert into audit_events (project_id, at, actor_type, actor_id, actor_name, operation, target, decision,
       agent_id, session_id, detail, prev_hash, hash) values (?, ?, 'agent', null, 'bulk', 'tool_use', ?, 'allowed', null, null, ?, ?, ?)`,
  );
  sqlite.transaction(() => {
    for (let i = 0; i < n; i++) {
      const content = {
        prevHash,
        projectId,
        at: at + i,
        actorType: "agent",
        actorId: null,
        actorName: "bulk",
        operation: "tool_use",
        target: `file-${i % 97}.ts`,
        decision: "allowed",
        agentId: null,
        sessionId: null,
        detail: { i, note: "appended in bulk" },
      };
      const hash = hashAuditRow(content);
      insert.run(projectId, content.at, content.target, JSON.stringify(content.detail), prevHash, hash);
      prevHash = hash;
    }
  })();
}
