import { describe, expect, it } from "vitest";
import { agentPerformance } from "./domain/agent";
import { IMPORT_FILES_PER_CALL } from "./domain/identity-import";
import { AgentImportInputSchema } from "./identity-import";
import {
  SessionEndInputSchema,
  SessionHeartbeatInputSchema,
  SessionReportInputSchema,
  SessionStartInputSchema,
} from "./session";
import { RoleMixSchema, TeamCreateInputSchema } from "./team";

const issuePaths = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  (result.error?.issues ?? []).map((issue) => issue.path.join("."));

describe("agentPerformance", () => {
  it("is null before the first outcome", () => {
    expect(agentPerformance({ runsCount: 0, successCount: 0, totalExecutionMs: 0 })).toEqual({
      successRate: null,
      avgExecutionMs: null,
    });
  });

  it("divides successes and time by runs", () => {
    expect(agentPerformance({ runsCount: 4, successCount: 3, totalExecutionMs: 1_000 })).toEqual({
      successRate: 0.75,
      avgExecutionMs: 250,
    });
  });
});

describe("RoleMixSchema", () => {
  it("accepts counts of at least one per role", () => {
    expect(RoleMixSchema.parse({ researcher: 3, reviewer: 1 })).toEqual({ researcher: 3, reviewer: 1 });
  });

  it.each([
    ["an empty mix", {}, ""],
    ["a zero count", { researcher: 0 }, "researcher"],
    ["a fractional count", { researcher: 1.5 }, "researcher"],
    ["a count over 1000", { researcher: 1_001 }, "researcher"],
  ])("rejects %s", (_label, mix, path) => {
    const result = RoleMixSchema.safeParse(mix);
    expect(result.success).toBe(false);
    expect(issuePaths(result)).toEqual([path]);
  });

  it("names roleMix inside a team", () => {
    expect(issuePaths(TeamCreateInputSchema.safeParse({ name: "t", roleMix: {} }))).toEqual(["roleMix"]);
    expect(TeamCreateInputSchema.parse({ name: " t ", roleMix: { a: 1 } })).toEqual({
      name: "t",
      description: "",
      roleMix: { a: 1 },
    });
  });
});

describe("session contracts", () => {
  it("start validates the profile like register, without its name", () => {
    expect(SessionStartInputSchema.parse({ name: "a" })).toEqual({ name: "a" });
    expect(SessionStartInputSchema.parse({ name: "a", profile: { role: "r", name: "ignored" } })).toEqual({
      name: "a",
      profile: { role: "r" },
    });
    expect(issuePaths(SessionStartInputSchema.safeParse({ name: "a", profile: {} }))).toEqual(["profile.role"]);
  });

  it("heartbeat only reports idle or busy; end only stopped or process_exit", () => {
    expect(SessionHeartbeatInputSchema.safeParse({ sessionId: "s", status: "busy" }).success).toBe(true);
    expect(SessionHeartbeatInputSchema.safeParse({ sessionId: "s", status: "disabled" }).success).toBe(false);
    expect(SessionEndInputSchema.parse({ sessionId: "s" })).toEqual({ sessionId: "s", reason: "stopped" });
    expect(SessionEndInputSchema.safeParse({ sessionId: "s", reason: "expired" }).success).toBe(false);
  });

  it("report takes whole non-negative milliseconds and defaults tokens and cost", () => {
    expect(SessionReportInputSchema.parse({ sessionId: "s", success: true, executionMs: 10 })).toEqual({
      sessionId: "s",
      success: true,
      executionMs: 10,
      tokens: 0,
      costUsd: 0,
    });
    const bad = (extra: object) =>
      issuePaths(SessionReportInputSchema.safeParse({ sessionId: "s", success: true, executionMs: 1, ...extra }));
    expect(bad({ executionMs: -1 })).toEqual(["executionMs"]);
    expect(bad({ executionMs: 1.5 })).toEqual(["executionMs"]);
    expect(bad({ tokens: -1 })).toEqual(["tokens"]);
    expect(bad({ costUsd: -0.5 })).toEqual(["costUsd"]);
  });
});

describe("AgentImportInputSchema", () => {
  const file = (i: number) => ({ name: `f${i}.yaml`, content: "" });
  it("takes 1 to 50 files", () => {
    expect(AgentImportInputSchema.safeParse({ files: [] }).success).toBe(false);
    expect(
      AgentImportInputSchema.safeParse({ files: Array.from({ length: IMPORT_FILES_PER_CALL }, (_, i) => file(i)) })
        .success,
    ).toBe(true);
    expect(
      issuePaths(
        AgentImportInputSchema.safeParse({
          files: Array.from({ length: IMPORT_FILES_PER_CALL + 1 }, (_, i) => file(i)),
        }),
      ),
    ).toEqual(["files"]);
  });

  it("caps a file at 256 KiB", () => {
    const content = "x".repeat(262_145);
    expect(issuePaths(AgentImportInputSchema.safeParse({ files: [{ name: "big.yaml", content }] }))).toEqual([
      "files.0.content",
    ]);
  });
});
