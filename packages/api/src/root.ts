import { agentRouter } from "./routers/agent";
import { apiKeyRouter } from "./routers/api-key";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { fleetRouter } from "./routers/fleet";
import { ingestRouter } from "./routers/ingest";
import { metricsRouter } from "./routers/metrics";
import { inviteRouter } from "./routers/invite";
import { memberRouter } from "./routers/member";
import { projectRouter } from "./routers/project";
import { sessionRouter } from "./routers/session";
import { teamRouter } from "./routers/team";
import { router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  project: projectRouter,
  invite: inviteRouter,
  member: memberRouter,
  apiKey: apiKeyRouter,
  agent: agentRouter,
  session: sessionRouter,
  team: teamRouter,
  fleet: fleetRouter,
  audit: auditRouter,
  ingest: ingestRouter,
  metrics: metricsRouter,
});

export type AppRouter = typeof appRouter;
