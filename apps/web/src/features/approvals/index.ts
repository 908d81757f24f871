// The approvals feature's public entry: what other features may use (see src/README.md).
export { AgentApprovals } from "./agent-approvals";
