import { agentRouter } from "./agents/agent-router";
import { fleetRouter } from "./agents/fleet-router";
import { auditRouter } from "./audit/audit-router";
import { apiKeyRouter } from "./auth/api-key-router";
import { authRouter } from "./auth/auth-router";
import { inviteRouter } from "./auth/invite-router";
import { memberRouter } from "./auth/member-router";
import { projectRouter } from "./auth/project-router";
import { learnInputFields } from "./core/input-keys";
import { router } from "./core/trpc";
import { ingestRouter } from "./ingest/ingest-router";
import { approvalRouter, grantRouter } from "./policy/approval-router";
import { policyRouter } from "./policy/policy-router";
import { pushRouter } from "./push/push-router";
import { sessionRouter } from "./sessions/session-router";
import { teamRouter } from "./teams/team-router";
import { suiteRouter } from "./suites/suite-router";
import { metricsRouter } from "./telemetry/metrics-router";
import { runRouter } from "./work/run-router";
import { taskRouter } from "./work/task-router";
import { workflowRouter } from "./work/workflow-router";

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
  policy: policyRouter,
  approval: approvalRouter,
  grant: grantRouter,
  push: pushRouter,
  task: taskRouter,
  run: runRouter,
  workflow: workflowRouter,
  suite: suiteRouter,
});

learnInputFields(appRouter);

export type AppRouter = typeof appRouter;
