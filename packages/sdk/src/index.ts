export {
  AgentHandle,
  type AgentEventReport,
  type AgentEvents,
  type AgentHandleOptions,
  type AgentMetricReport,
  type AgentProfile,
  type GuardOptions,
} from "./agent";
export {
  type AuthorizeDecision,
  type AuthorizeOptions,
  type AuthorizeRequest,
  type WaitOptions,
} from "./authorize-types";
export { EnqueueManyError, EnqueueUnansweredError, type EnqueueManyOptions, type EnqueueOptions } from "./enqueue-many";
export { PolicyDeniedError } from "./policy-denied-error";
export type { RunContext, RunHandler, WorkLoop, WorkOptions } from "./work";
export { Reporter, type ReporterHooks, type ReporterOptions } from "./reporter";
export { createTowerClient, type TowerClient, type TowerClientOptions } from "./client";
export type { ClientRouter as AppRouter } from "@tower/api/client";
export * from "@tower/shared";
