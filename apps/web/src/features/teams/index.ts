// The teams feature's public entry: what other features may use (see src/README.md).
export { patchTeamMembers } from "./cache";
export { useTeamName, useTeams } from "./hooks";
export { TeamPanel } from "./team-panel";
