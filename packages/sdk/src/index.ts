export {
  AgentHandle,
  type AgentEventReport,
  type AgentEvents,
  type AgentHandleOptions,
  type AgentMetricReport,
  type AgentProfile,
} from "./agent";
export { Reporter, type ReporterHooks, type ReporterOptions } from "./reporter";
export { createTowerClient, type TowerClient, type TowerClientOptions } from "./client";
export type { ClientRouter as AppRouter } from "@tower/api/client";
export * from "@tower/shared";
