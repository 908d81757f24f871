// What apps/server, bench and tests import from the api package: the router, the context and every
// port the app creates. Grouped by folder, the floor first, then the domains in their order.
export { appRouter, type AppRouter } from "./root";
export { createDeps, type CreateDepsOptions } from "./create-deps";
export { createContext } from "./core/context";
export {
  credentialIdOf,
  type Caller,
  type Context,
  type Credentials,
  type Deps,
  type Outbox,
  type SessionCookie,
} from "./core/deps";
export type {
  HeartbeatPolicy,
  IngestThrottle,
  IngestWriter,
  LoginThrottle,
  PushSender,
  PushSendOptions,
  PushSendResult,
  PushTarget,
} from "./core/ports";
export type { AuditAnchor, AuditDeps } from "./core/audit-ports";
export { createInProcessEventBus, type EventBus } from "./core/event-bus";
export { systemClock, type Clock } from "./core/clock";
export { createConnectionState, type ConnectionState } from "./core/connection-state";
export { bulkTurn } from "./core/bulk-lane";
export { DomainError } from "./core/errors";
export { SYSTEM_ACTOR } from "./core/actor";
export { SharedJson } from "./core/shared-json";
export { hasAnyUser, SESSION_IDLE_MS, SESSION_TTL_MS } from "./auth/auth-service";
export { generateSetupCode } from "./auth/setup-code";
export { createLoginThrottle } from "./auth/login-throttle";
export { importIdentities } from "./agents/identity-import";
export { createIngestThrottle, DEFAULT_INGEST_ITEMS_PER_SECOND } from "./ingest/ingest-throttle";
export { createIngestWriter } from "./ingest/group-commit";
export { rawReportsReader } from "./ingest/raw-reports";
export { startIngestWriterThread } from "./ingest/ingest-writer-thread";
export { DEFAULT_HEARTBEAT, expireStaleSessions } from "./sessions/session-service";
export { DEFAULT_WORK_POLICY, type WorkPolicy } from "./core/ports";
export { expireApprovals } from "./policy/approval-service";
export { evaluate as evaluatePolicy } from "./policy/policy-check";
export { flushDecisions } from "./policy/decision-log";
export { renewHeldLeases } from "./work/lease-renewal";
export { sweepWork, type SweepCounts } from "./work/work-sweep";
export { pruneWork } from "./work/work-retention";
export { endInterruptedSuiteRuns, stopAllSuites } from "./suites/suite-service";
export { loadSuitesFile, SuitesFileError } from "./suites/suites-file";
export type { SuiteConfiguration } from "./core/ports";
export {
  approvalRefusal,
  CLAUDE_CODE_DEFAULT_AGENT,
  ClaudeCodeHookInputSchema,
  preToolUseAnswer,
  preToolUseAsk,
  preToolUseDenial,
  toPolicyCheck,
  toToolUseEvent,
  type ClaudeCodeHookEvent,
  type ClaudeCodeHookInput,
  type PreToolUseOutput,
} from "./policy/claude-code";
export { pruneAllAudit, verifyAudit } from "./audit/audit-service";
export { openAuditAnchor } from "./audit/audit-anchor";
export { createInProcessAuditDeps } from "./audit/audit-deps";
export { createInProcessAuditReader } from "./audit/audit-chain-reader";
export { startAuditReaderThread } from "./audit/audit-reader-thread";
export { createAuditVerifyThrottle } from "./audit/audit-verify-throttle";
export { createAuditHeadSigner, type AuditHeadSigner } from "./audit/audit-head-signer";
export { ensureDemoProject, DEMO_PROJECT_NAME } from "./demo/demo-seed";
export {
  DEMO_FLEET_AGENTS,
  DEMO_FLEET_KEY_NAME,
  ensureDemoFleetKey,
  prepareDemoFleetKey,
  retireDemoFleetKey,
} from "./demo/demo-fleet-key";
export {
  createWebPushSender,
  generateVapidKeys,
  type VapidKeys,
  type WebPushSenderOptions,
} from "./push/web-push-sender";
export { loadOrCreateVapidKeys, vapidKeysProblem } from "./push/vapid-keys";
export { withPushNotifications } from "./push/push-notifier";
