export { appRouter, type AppRouter } from "./root";
export {
  createContext,
  credentialIdOf,
  type Caller,
  type Context,
  type Credentials,
  type Deps,
  type Outbox,
  type SessionCookie,
} from "./context";
export { createInProcessEventBus, type EventBus } from "./event-bus";
export { systemClock, type Clock } from "./clock";
export { DomainError } from "./errors";
export { ensureDemoProject, DEMO_PROJECT_NAME } from "./services/demo-seed";
export {
  DEMO_FLEET_AGENTS,
  DEMO_FLEET_KEY_NAME,
  ensureDemoFleetKey,
  prepareDemoFleetKey,
  retireDemoFleetKey,
} from "./services/demo-fleet-key";
export { hasAnyUser, SESSION_IDLE_MS, SESSION_TTL_MS } from "./services/auth-service";
export { generateSetupCode } from "./services/setup-code";
export { createLoginThrottle, type LoginThrottle } from "./services/login-throttle";
export { createIngestThrottle, DEFAULT_INGEST_ITEMS_PER_SECOND, type IngestThrottle } from "./services/ingest-throttle";
export { createIngestWriter, type IngestWriter } from "./services/ingest-service";
export { startIngestWriterThread } from "./services/ingest-writer-thread";
export { DEFAULT_HEARTBEAT, expireStaleSessions, type HeartbeatPolicy } from "./services/session-service";
export { importIdentities } from "./services/identity-import";
export { pruneAllAudit, verifyAudit } from "./services/audit-service";
export { openAuditAnchor, type AuditAnchor } from "./services/audit-anchor";
export { createInProcessAuditDeps, type AuditDeps } from "./services/audit-deps";
export { createInProcessAuditReader } from "./services/audit-chain-reader";
export { startAuditReaderThread } from "./services/audit-reader-thread";
export { createAuditVerifyThrottle } from "./services/audit-verify-throttle";
export { createAuditHeadSigner, type AuditHeadSigner } from "./services/audit-head-signer";
export { SYSTEM_ACTOR } from "./services/actor";
export { SharedJson } from "./shared-json";
