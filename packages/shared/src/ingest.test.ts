import { describe, expect, it } from "vitest";
import { AuditListInputSchema } from "./audit";
import { REPORT_SEQ_MAX } from "./domain/ingest";
import { ReportItemSchema } from "./ingest";
import { MetricsListInputSchema } from "./telemetry";

const event = (extra: Record<string, unknown> = {}) => ({
  kind: "event",
  id: "evt-000001",
  agent: "scout",
  operation: "tool_use",
  ...extra,
});
const metric = (extra: Record<string, unknown> = {}) => ({
  kind: "metric",
  id: "met-000001",
  agent: "scout",
  type: "execution",
  ...extra,
});

/** The fields a parse complained about, each once. */
const issuePaths = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => [
  ...new Set((result.error?.issues ?? []).map((issue) => issue.path.join("."))),
];

describe("a report's per-session sequence number", () => {
  it("is optional: older clients and reports without a session send none", () => {
    expect(ReportItemSchema.parse(event())).not.toHaveProperty("seq");
    expect(ReportItemSchema.parse(metric({ sessionId: "s-1" }))).not.toHaveProperty("seq");
  });

  it.each([1, 2, 1_000_000, REPORT_SEQ_MAX])("takes a positive integer: %d", (seq) => {
    expect(ReportItemSchema.parse(event({ sessionId: "s-1", seq, at: 1_790_000_000_000 }))).toMatchObject({
      seq,
      at: 1_790_000_000_000,
    });
    expect(ReportItemSchema.parse(metric({ sessionId: "s-1", seq }))).toMatchObject({ seq });
  });

  it.each([0, -1, 1.5, REPORT_SEQ_MAX + 1, Number.MAX_VALUE, Number.NaN, Infinity, "3", null])("refuses %s", (seq) => {
    const result = ReportItemSchema.safeParse(event({ sessionId: "s-1", seq }));
    expect(result.success).toBe(false);
    expect(issuePaths(result)).toEqual(["seq"]);
    expect(issuePaths(ReportItemSchema.safeParse(metric({ sessionId: "s-1", seq })))).toEqual(["seq"]);
  });

  it("is bounded by the largest integer JSON carries exactly", () => {
    expect(REPORT_SEQ_MAX).toBe(2 ** 53 - 1);
  });
});

describe("lists in the agent's order", () => {
  it("are in the order of commit unless asked", () => {
    expect(AuditListInputSchema.parse({}).order).toBe("commit");
    expect(MetricsListInputSchema.parse({}).order).toBe("commit");
  });

  it("take the agent's order for one session, and only with its id", () => {
    expect(AuditListInputSchema.parse({ sessionId: "s-1", order: "agent" })).toMatchObject({ order: "agent" });
    expect(MetricsListInputSchema.parse({ sessionId: "s-1", order: "agent" })).toMatchObject({ order: "agent" });
    for (const schema of [AuditListInputSchema, MetricsListInputSchema]) {
      const result = schema.safeParse({ order: "agent" });
      expect(issuePaths(result)).toEqual(["order"]);
      expect(result.error?.issues[0]?.message).toMatch(/sessionId/);
      expect(issuePaths(schema.safeParse({ sessionId: "s-1", order: "emitted" }))).toEqual(["order"]);
    }
  });
});
