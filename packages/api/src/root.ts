import { agentRouter } from "./routers/agent";
import { apiKeyRouter } from "./routers/api-key";
import { authRouter } from "./routers/auth";
import { inviteRouter } from "./routers/invite";
import { projectRouter } from "./routers/project";
import { router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  project: projectRouter,
  invite: inviteRouter,
  apiKey: apiKeyRouter,
  agent: agentRouter,
});

export type AppRouter = typeof appRouter;
