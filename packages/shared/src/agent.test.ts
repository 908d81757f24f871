import { describe, expect, it } from "vitest";
import {
  AgentCreateInputSchema,
  AgentListInputSchema,
  AgentPatchSchema,
  AgentRegisterInputSchema,
  PathScopeSchema,
} from "./agent";
import { ApiKeyCreateInputSchema } from "./api-key";
import { LogInInputSchema, SignUpInputSchema } from "./auth";
import { MetadataSchema, ResumeSchema } from "./common";
import { LIMITS } from "./domain/limits";
import { hasRole } from "./domain/roles";
import { InviteCreateInputSchema } from "./project";

const issuePaths = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  (result.error?.issues ?? []).map((issue) => issue.path.join("."));

describe("AgentCreateInputSchema", () => {
  it("fills defaults and trims", () => {
    expect(AgentCreateInputSchema.parse({ name: "  scout ", role: " researcher " })).toEqual({
      name: "scout",
      role: "researcher",
      category: "general",
      description: "",
      capabilities: [],
      allowedTools: [],
      pathScopes: [],
      budgetTokensPerSession: null,
      budgetCostUsdPerDay: null,
      tags: [],
      metadata: {},
      version: "",
      owner: "",
    });
  });

  it("ignores status and server-owned fields: a new agent's state is the server's to set", () => {
    const parsed = AgentCreateInputSchema.parse({
      name: "a",
      role: "r",
      status: "busy",
      teamId: "t1",
      sessionsCount: 9,
      runsCount: 9,
    });
    for (const key of ["status", "teamId", "sessionsCount", "runsCount"]) expect(parsed).not.toHaveProperty(key);
  });

  it("keeps version and owner, trimmed", () => {
    expect(
      AgentCreateInputSchema.parse({ name: "a", role: "r", version: " 1.2.0 ", owner: " ana@example.com " }),
    ).toMatchObject({ version: "1.2.0", owner: "ana@example.com" });
  });

  it.each([
    ["letters, digits, spaces, dots, dashes, underscores", "Agent_01 v2.0-beta", true],
    ["exactly 100 characters", "a".repeat(LIMITS.nameLength), true],
    ["101 characters", "a".repeat(LIMITS.nameLength + 1), false],
    ["a slash", "a/b", false],
    ["a colon", "a:b", false],
    ["a newline", "a\nb", false],
    ["only spaces", "    ", false],
    ["empty", "", false],
  ])("a name with %s is valid: %s", (_label, name, valid) => {
    const result = AgentCreateInputSchema.safeParse({ name, role: "r" });
    expect(result.success).toBe(valid);
    if (!valid) expect(issuePaths(result)).toContain("name");
  });

  it("a blank role is required", () => {
    expect(issuePaths(AgentCreateInputSchema.safeParse({ name: "a", role: "  " }))).toEqual(["role"]);
  });

  it("budgets: positive; tokens are whole numbers; null allowed", () => {
    const parse = (extra: object) => AgentCreateInputSchema.safeParse({ name: "a", role: "r", ...extra }).success;
    expect(parse({ budgetTokensPerSession: 1, budgetCostUsdPerDay: 0.01 })).toBe(true);
    expect(parse({ budgetTokensPerSession: null, budgetCostUsdPerDay: null })).toBe(true);
    expect(parse({ budgetTokensPerSession: 0 })).toBe(false);
    expect(parse({ budgetTokensPerSession: 2.5 })).toBe(false);
    expect(parse({ budgetCostUsdPerDay: 0 })).toBe(false);
    expect(parse({ budgetCostUsdPerDay: -1 })).toBe(false);
    expect(parse({ budgetCostUsdPerDay: Number.NaN })).toBe(false);
    expect(parse({ budgetCostUsdPerDay: Number.POSITIVE_INFINITY })).toBe(false);
  });

  // What a person reads under a field: one message per field, in words, agreeing with the form's hint.
  it.each([
    [{ name: "", role: "r" }, "name", "Name is required"],
    [{ name: "a/b", role: "r" }, "name", "Use letters, digits, spaces, dots, dashes or underscores"],
    [{ name: "a", role: "" }, "role", "Role is required"],
    [
      { name: "a", role: "r", budgetTokensPerSession: 0 },
      "budgetTokensPerSession",
      "Enter more than 0 tokens, or leave it empty for no limit",
    ],
    [
      { name: "a", role: "r", budgetTokensPerSession: 2.5 },
      "budgetTokensPerSession",
      "Enter a whole number of tokens, or leave it empty for no limit",
    ],
    [
      { name: "a", role: "r", budgetCostUsdPerDay: 0 },
      "budgetCostUsdPerDay",
      "Enter more than $0, or leave it empty for no limit",
    ],
    [{ name: "a", role: "r", capabilities: [" "] }, "capabilities.0", "Remove the empty item"],
  ])("%j reads: %s: %s", (input, path, message) => {
    const issues = AgentCreateInputSchema.safeParse(input).error?.issues ?? [];
    expect(issues.map((issue) => [issue.path.join("."), issue.message])).toEqual([[path, message]]);
  });

  it("lists: at most 100 items, none blank", () => {
    const items = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
    const parse = (extra: object) => AgentCreateInputSchema.safeParse({ name: "a", role: "r", ...extra });
    expect(parse({ tags: items(LIMITS.listItems) }).success).toBe(true);
    expect(issuePaths(parse({ tags: items(LIMITS.listItems + 1) }))).toEqual(["tags"]);
    expect(issuePaths(parse({ capabilities: ["ok", " "] }))).toEqual(["capabilities.1"]);
    expect(issuePaths(parse({ pathScopes: items(LIMITS.listItems + 1) }))).toEqual(["pathScopes"]);
  });

  it("rejects unknown-typed fields", () => {
    const result = AgentCreateInputSchema.safeParse({ name: 1, role: ["r"], tags: "x", metadata: "{}" });
    expect(issuePaths(result).sort()).toEqual(["metadata", "name", "role", "tags"]);
  });
});

describe("PathScopeSchema", () => {
  it.each([
    ["src/**", true],
    ["data/*.csv", true],
    ["  notes/**  ", true],
    ["*.{ts,tsx}", true],
    ["src/[abc]/x.ts", true],
    ["", false],
    ["a\0b", false],
    ["x".repeat(513), false],
  ])("%j is valid: %s", (value, valid) => {
    expect(PathScopeSchema.safeParse(value).success).toBe(valid);
  });

  // Each refused with the reason a person can act on, as one message.
  it.each([
    ["src/[unclosed", /not a valid glob: Missing closing: "\]"/],
    ["src/{a,b", /not a valid glob: Missing closing: "\}"/],
    ["**/../etc/passwd", /"\.\." segment/],
    ["src/..", /"\.\." segment/],
    ["/abs/**", /is absolute; path scopes are relative/],
    ["C:\\data\\**", /is absolute/],
    ["~/notes/**", /is absolute/],
    ["!src/secret/**", /is negated/],
  ])("%j is refused: %s", (value, reason) => {
    const result = PathScopeSchema.safeParse(value);
    expect(result.error?.issues).toHaveLength(1);
    expect(result.error?.issues[0]?.message).toMatch(reason);
  });
});

describe("MetadataSchema", () => {
  it("accepts JSON up to the limit and rejects one byte more", () => {
    const overhead = JSON.stringify({ k: "" }).length;
    expect(MetadataSchema.safeParse({ k: "x".repeat(LIMITS.metadataBytes - overhead) }).success).toBe(true);
    expect(MetadataSchema.safeParse({ k: "x".repeat(LIMITS.metadataBytes - overhead + 1) }).success).toBe(false);
    // Bytes, not characters: "€" is three bytes of UTF-8.
    expect(MetadataSchema.safeParse({ k: "€".repeat(6_000) }).success).toBe(false);
  });

  it("accepts nested JSON and rejects values that are not JSON", () => {
    expect(MetadataSchema.safeParse({ a: { b: [1, "two", null, true] } }).success).toBe(true);
    expect(MetadataSchema.safeParse({ a: undefined }).success).toBe(false);
    expect(MetadataSchema.safeParse({ a: () => 1 }).success).toBe(false);
    expect(MetadataSchema.safeParse({ a: new Date() }).success).toBe(false);
    expect(MetadataSchema.safeParse([1]).success).toBe(false);
  });
});

describe("patch and register", () => {
  it("a patch leaves absent fields absent (no defaults sneak in)", () => {
    expect(AgentPatchSchema.parse({ version: "2" })).toEqual({ version: "2" });
    expect(AgentPatchSchema.parse({})).toEqual({});
  });

  it("a patch cannot set status: sessions and enable/disable drive it", () => {
    expect(AgentPatchSchema.shape).not.toHaveProperty("status");
    expect(AgentPatchSchema.parse({ status: "busy", role: "r" })).toEqual({ role: "r" });
    expect(AgentPatchSchema.parse({ status: "sleeping" })).toEqual({});
  });

  it("register needs name and role, keeps absent fields absent, and cannot set status", () => {
    expect(AgentRegisterInputSchema.parse({ name: "a", role: "r", status: "busy" })).toEqual({ name: "a", role: "r" });
    expect(AgentRegisterInputSchema.parse({ name: "a", role: "r", status: "disabled", owner: "o" })).toEqual({
      name: "a",
      role: "r",
      owner: "o",
    });
    expect(issuePaths(AgentRegisterInputSchema.safeParse({ role: "r" }))).toEqual(["name"]);
    expect(issuePaths(AgentRegisterInputSchema.safeParse({ name: "a" }))).toEqual(["role"]);
  });

  it("a patch validates names and nullable budgets", () => {
    expect(issuePaths(AgentPatchSchema.safeParse({ name: "a/b" }))).toEqual(["name"]);
    expect(issuePaths(AgentPatchSchema.safeParse({ budgetTokensPerSession: 0 }))).toEqual(["budgetTokensPerSession"]);
    expect(AgentPatchSchema.parse({ budgetCostUsdPerDay: null })).toEqual({ budgetCostUsdPerDay: null });
  });
});

describe("AgentListInputSchema", () => {
  it("defaults to name ascending, 50 per page", () => {
    expect(AgentListInputSchema.parse({})).toEqual({ sort: "name", order: "asc", limit: LIMITS.defaultPageSize });
  });

  it("bounds the page size and rejects unknown sort keys", () => {
    expect(AgentListInputSchema.safeParse({ limit: LIMITS.pageSize }).success).toBe(true);
    expect(AgentListInputSchema.safeParse({ limit: LIMITS.pageSize + 1 }).success).toBe(false);
    expect(AgentListInputSchema.safeParse({ limit: 0 }).success).toBe(false);
    expect(AgentListInputSchema.safeParse({ sort: "id" }).success).toBe(false);
    expect(AgentListInputSchema.safeParse({ order: "up" }).success).toBe(false);
  });
});

describe("other contracts", () => {
  it("ResumeSchema takes digit strings only", () => {
    expect(ResumeSchema.safeParse({ lastEventId: "42" }).success).toBe(true);
    expect(ResumeSchema.safeParse({ lastEventId: null }).success).toBe(true);
    expect(ResumeSchema.safeParse({}).success).toBe(true);
    expect(ResumeSchema.safeParse({ lastEventId: "-1" }).success).toBe(false);
    expect(ResumeSchema.safeParse({ lastEventId: "1e3" }).success).toBe(false);
    expect(ResumeSchema.safeParse({ lastEventId: 42 }).success).toBe(false);
  });

  it("sign-up normalises the email and enforces password length", () => {
    const ok = SignUpInputSchema.parse({
      email: " Ada@Example.COM ",
      name: "Ada",
      password: "p".repeat(LIMITS.passwordMin),
    });
    expect(ok.email).toBe("ada@example.com");
    expect(
      issuePaths(
        SignUpInputSchema.safeParse({ email: "a@b.co", name: "A", password: "p".repeat(LIMITS.passwordMin - 1) }),
      ),
    ).toEqual(["password"]);
    expect(
      issuePaths(
        SignUpInputSchema.safeParse({ email: "a@b.co", name: "A", password: "p".repeat(LIMITS.passwordMax + 1) }),
      ),
    ).toEqual(["password"]);
    expect(
      issuePaths(SignUpInputSchema.safeParse({ email: "not-an-email", name: "A", password: "p".repeat(12) })),
    ).toEqual(["email"]);
    expect(LogInInputSchema.safeParse({ email: "a@b.co", password: "" }).success).toBe(false);
  });

  it("invites never grant owner; keys need a scope", () => {
    expect(InviteCreateInputSchema.safeParse({ role: "owner" }).success).toBe(false);
    expect(InviteCreateInputSchema.parse({})).toEqual({ role: "operator", expiresInHours: 72 });
    expect(InviteCreateInputSchema.safeParse({ expiresInHours: 24 * 30 + 1 }).success).toBe(false);
    expect(ApiKeyCreateInputSchema.safeParse({ name: "k", scopes: [] }).success).toBe(false);
    expect(ApiKeyCreateInputSchema.safeParse({ name: "k", scopes: ["owner"] }).success).toBe(false);
    // An agent key names its agents; no other key does.
    expect(ApiKeyCreateInputSchema.safeParse({ name: "k", scopes: ["agent"] }).success).toBe(false);
    expect(ApiKeyCreateInputSchema.parse({ name: "k", scopes: ["agent"], agentNames: ["a", "a"] })).toMatchObject({
      scopes: ["agent"],
      agentNames: ["a"],
    });
  });

  it("roles rank owner > admin > operator > viewer", () => {
    expect(hasRole("owner", "admin")).toBe(true);
    expect(hasRole("admin", "admin")).toBe(true);
    expect(hasRole("operator", "admin")).toBe(false);
    expect(hasRole("viewer", "operator")).toBe(false);
    expect(hasRole("operator", "viewer")).toBe(true);
  });
});
