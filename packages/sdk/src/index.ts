export { AgentHandle, type AgentEvents, type AgentHandleOptions, type AgentProfile } from "./agent";
export { createTowerClient, type TowerClient, type TowerClientOptions } from "./client";
export type { AppRouter } from "@tower/api";
export * from "@tower/shared";
