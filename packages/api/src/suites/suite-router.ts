import {
  SuiteOutputInputSchema,
  SuiteResultListInputSchema,
  SuiteRunIdInputSchema,
  SuiteRunListInputSchema,
  SuiteStartInputSchema,
} from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { changeSubscription } from "../core/change-subscription";
import { projectProcedure } from "../core/trpc";
import {
  cancelSuiteRun,
  getSuiteRun,
  listSuiteOutput,
  listSuiteResults,
  listSuiteRuns,
  listSuites,
  startSuite,
} from "./suite-service";

/**
 * Test suites: administrators configure them on the server (never here); operators start and
 * cancel runs; everyone in the project watches progress, results and output live.
 */
export const suiteRouter = {
  list: projectProcedure("viewer").query(({ ctx }) => listSuites(ctx)),
  start: projectProcedure("operator")
    .input(SuiteStartInputSchema)
    .mutation(({ ctx, input }) => startSuite(ctx, ctx.project.projectId, input.name, ctx.actor())),
  cancel: projectProcedure("operator")
    .input(SuiteRunIdInputSchema)
    .mutation(({ ctx, input }) => cancelSuiteRun(ctx, ctx.project.projectId, input.id, ctx.actor())),
  runs: projectProcedure("viewer")
    .input(SuiteRunListInputSchema)
    .query(({ ctx, input }) => listSuiteRuns(ctx, ctx.project.projectId, input)),
  runById: projectProcedure("viewer")
    .input(SuiteRunIdInputSchema)
    .query(({ ctx, input }) => getSuiteRun(ctx, ctx.project.projectId, input.id)),
  results: projectProcedure("viewer")
    .input(SuiteResultListInputSchema)
    .query(({ ctx, input }) => listSuiteResults(ctx, ctx.project.projectId, input)),
  output: projectProcedure("viewer")
    .input(SuiteOutputInputSchema)
    .query(({ ctx, input }) => listSuiteOutput(ctx, ctx.project.projectId, input)),
  onChange: changeSubscription("suiteRun"),
} satisfies TRPCRouterRecord;
