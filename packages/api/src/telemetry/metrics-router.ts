import {
  AlertListInputSchema,
  MetricsAggregateInputSchema,
  MetricsListInputSchema,
  ModelNameInputSchema,
  ModelPriceInputSchema,
  ResumeSchema,
} from "@tower/shared";
import { tracked, type TRPCRouterRecord } from "@trpc/server";
import { streamChanges } from "../core/change-stream";
import { projectProcedure } from "../core/trpc";
import { listPrices, resetPrice, setPrice } from "./price-service";
import { aggregateMetrics, budgetUsage, fleetOverview, listAlerts, listMetrics } from "./telemetry-service";

export const metricsRouter = {
  list: projectProcedure("viewer")
    .input(MetricsListInputSchema)
    .query(({ ctx, input }) => listMetrics(ctx, ctx.project.projectId, input)),
  /** Count, success rate, tokens, cost and latency p50/p95 per minute, hour or day. */
  aggregate: projectProcedure("viewer")
    .input(MetricsAggregateInputSchema)
    .query(({ ctx, input }) => aggregateMetrics(ctx, ctx.project.projectId, input)),
  overview: projectProcedure("viewer").query(({ ctx }) => fleetOverview(ctx, ctx.project.projectId)),
  /** Today's spend per agent, for budget bars. */
  budgetUsage: projectProcedure("viewer").query(({ ctx }) => budgetUsage(ctx, ctx.project.projectId)),
  /** The model price table used when a report has tokens but no cost. */
  prices: projectProcedure("viewer").query(({ ctx }) => listPrices(ctx, ctx.project.projectId)),
  setPrice: projectProcedure("admin")
    .input(ModelPriceInputSchema)
    .mutation(({ ctx, input }) => setPrice(ctx, ctx.project.projectId, input, ctx.actor())),
  resetPrice: projectProcedure("admin")
    .input(ModelNameInputSchema)
    .mutation(({ ctx, input }) => resetPrice(ctx, ctx.project.projectId, input.model, ctx.actor())),
  alerts: projectProcedure("viewer")
    .input(AlertListInputSchema)
    .query(({ ctx, input }) => listAlerts(ctx, ctx.project.projectId, input)),
  /** Budget alerts as they are raised, resumable. */
  onAlert: projectProcedure("viewer")
    .input(ResumeSchema)
    .subscription(async function* ({ ctx, input, signal }) {
      const alerts = streamChanges(ctx, {
        projectId: ctx.project.projectId,
        entity: "alert",
        lastEventId: input.lastEventId,
        signal,
        caller: ctx.caller,
      });
      for await (const event of alerts) yield tracked(event.id, event.data);
    }),
} satisfies TRPCRouterRecord;
