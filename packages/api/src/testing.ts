import { createDb } from "@tower/db";
import { createTestDb } from "@tower/db/test";
import pino from "pino";
import type { Clock } from "./clock";
import { createContext, type Credentials, type Deps } from "./context";
import { createInProcessEventBus } from "./event-bus";
import { appRouter } from "./root";
import { createIngestWriter } from "./services/ingest-service";
import { createIngestThrottle } from "./services/ingest-throttle";
import { createLoginThrottle } from "./services/login-throttle";
import { DEFAULT_HEARTBEAT } from "./services/session-service";
import { createCallerFactory } from "./trpc";

/** A clock tests move by hand. */
export function createManualClock(start = Date.UTC(2026, 0, 1)): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

/** Real dependencies on an in-memory database (or the given file) with the real migrations. */
export function createTestDeps({ file }: { file?: string } = {}) {
  const handle = file ? createDb(file) : createTestDb();
  const clock = createManualClock();
  const deps: Deps = {
    db: handle.db,
    bus: createInProcessEventBus(),
    clock,
    logger: pino({ level: "silent" }),
    loginThrottle: createLoginThrottle(),
    ingestThrottle: createIngestThrottle(),
    ingestWriter: createIngestWriter(handle.db),
    heartbeat: DEFAULT_HEARTBEAT,
  };
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
