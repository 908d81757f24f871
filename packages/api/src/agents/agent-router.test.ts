import { agents } from "@tower/db";
import { LIMITS, type Agent, type AgentCreateInput, type AgentSort } from "@tower/shared";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  agentRow,
  countAgents,
  createWorld,
  errorShape,
  expectTRPCError,
  signUpUser,
  type TestCaller,
  type World,
} from "../test-fixtures";
import { createTestDeps } from "../testing";

describe("agent CRUD", () => {
  let world: World;
  let owner: TestCaller;
  let projectId: string;
  beforeEach(async () => {
    world = await createWorld();
    owner = world.users.owner.caller;
    projectId = world.projectId;
  });
  afterEach(() => world.close());

  it("create fills the defaults; byId and byName return the stored agent", async () => {
    world.clock.advance(5_000);
    const created = await world.users.operator.caller.agent.create({
      projectId,
      name: "  scout  ",
      role: "researcher",
    });
    expect(created).toEqual({
      id: expect.any(String),
      projectId,
      name: "scout",
      role: "researcher",
      category: "general",
      description: "",
      capabilities: [],
      allowedTools: [],
      pathScopes: [],
      budgetTokensPerSession: null,
      budgetCostUsdPerDay: null,
      status: "offline",
      tags: [],
      metadata: {},
      version: "",
      owner: "",
      teamId: null,
      sessionsCount: 0,
      runsCount: 0,
      successCount: 0,
      totalExecutionMs: 0,
      createdAt: world.clock.now(),
      updatedAt: world.clock.now(),
      lastActiveAt: null,
    } satisfies Agent);
    expect(await owner.agent.byId({ projectId, id: created.id })).toEqual(created);
    expect(await world.users.viewer.caller.agent.byName({ projectId, name: "scout" })).toEqual(created);
    await expectTRPCError(owner.agent.byName({ projectId, name: "nobody" }), "NOT_FOUND");
    await expectTRPCError(owner.agent.byId({ projectId, id: "no-such-id" }), "NOT_FOUND");
  });

  it("create keeps every field given", async () => {
    const input = {
      projectId,
      name: "full",
      role: "coder",
      category: "engineering",
      description: "Writes code",
      capabilities: ["typescript"],
      allowedTools: ["git", "fs.read"],
      pathScopes: ["src/**"],
      budgetTokensPerSession: 100_000,
      budgetCostUsdPerDay: 12.5,
      tags: ["a", "b"],
      metadata: { team: "core", nested: { n: 1, list: [true, null] } },
      version: "2.1.0",
      owner: "ana@example.com",
    } satisfies AgentCreateInput & { projectId: string };
    const { projectId: _p, ...fields } = input;
    const created = await owner.agent.create(input);
    expect(created).toMatchObject(fields);
    expect(await owner.agent.byId({ projectId, id: created.id })).toMatchObject(fields);
  });

  it("update changes only the patched fields and persists them", async () => {
    const created = await owner.agent.create({
      projectId,
      name: "worker",
      role: "coder",
      description: "keep me",
      tags: ["x"],
    });
    world.clock.advance(1_000);
    const updated = await world.users.operator.caller.agent.update({
      projectId,
      id: created.id,
      patch: { role: "reviewer", version: "1.1", budgetCostUsdPerDay: 3, metadata: { k: "v" } },
    });
    expect(updated).toEqual({
      ...created,
      role: "reviewer",
      version: "1.1",
      budgetCostUsdPerDay: 3,
      metadata: { k: "v" },
      updatedAt: created.updatedAt + 1_000,
    });
    expect(await owner.agent.byId({ projectId, id: created.id })).toEqual(updated);

    const cleared = await owner.agent.update({
      projectId,
      id: created.id,
      patch: { budgetCostUsdPerDay: null, name: "worker-2" },
    });
    expect(cleared.budgetCostUsdPerDay).toBeNull();
    expect(cleared.name).toBe("worker-2");
    expect(agentRow(world.deps, created.id)).toMatchObject({
      name: "worker-2",
      budgetCostUsdPerDay: null,
      description: "keep me",
    });
  });

  it("delete removes the agent; a second delete is NOT_FOUND", async () => {
    const created = await owner.agent.create({ projectId, name: "doomed", role: "coder" });
    const before = countAgents(world.deps, projectId);
    expect(await world.users.admin.caller.agent.delete({ projectId, id: created.id })).toEqual({
      id: created.id,
    });
    expect(countAgents(world.deps, projectId)).toBe(before - 1);
    await expectTRPCError(owner.agent.byId({ projectId, id: created.id }), "NOT_FOUND");
    await expectTRPCError(owner.agent.delete({ projectId, id: created.id }), "NOT_FOUND");
    // The name is free again.
    await owner.agent.create({ projectId, name: "doomed", role: "coder" });
  });

  it("a duplicate name in the same project is a CONFLICT on name; another project may reuse it", async () => {
    const before = countAgents(world.deps, projectId);
    const error = await expectTRPCError(
      owner.agent.create({ projectId, name: "home-agent", role: "other" }),
      "CONFLICT",
    );
    expect(error.message.startsWith("name:")).toBe(true);
    expect(countAgents(world.deps, projectId)).toBe(before);

    const abroad = await world.users.foreignOwner.caller.agent.create({
      projectId: world.foreignProjectId,
      name: "home-agent",
      role: "coder",
    });
    expect(abroad.projectId).toBe(world.foreignProjectId);
  });

  it("renaming onto an existing name is a CONFLICT; renaming to its own name is fine", async () => {
    const other = await owner.agent.create({ projectId, name: "other", role: "coder" });
    const error = await expectTRPCError(
      owner.agent.update({
        projectId,
        id: other.id,
        patch: { name: "home-agent", role: "changed" },
      }),
      "CONFLICT",
    );
    expect(error.message.startsWith("name:")).toBe(true);
    expect(agentRow(world.deps, other.id)).toMatchObject({ name: "other", role: "coder" });
    const same = await owner.agent.update({
      projectId,
      id: other.id,
      patch: { name: "other", role: "changed" },
    });
    expect(same.role).toBe("changed");
  });

  it("update or delete of an unknown id or another project's agent is NOT_FOUND and changes nothing", async () => {
    const foreign = world.foreignAgent;
    await expectTRPCError(owner.agent.update({ projectId, id: "does-not-exist", patch: { role: "x" } }), "NOT_FOUND");
    await expectTRPCError(owner.agent.update({ projectId, id: foreign.id, patch: { role: "hijacked" } }), "NOT_FOUND");
    await expectTRPCError(owner.agent.delete({ projectId, id: foreign.id }), "NOT_FOUND");
    await expectTRPCError(owner.agent.byId({ projectId, id: foreign.id }), "NOT_FOUND");
    await expectTRPCError(owner.agent.byName({ projectId, name: foreign.name }), "NOT_FOUND");
    expect(agentRow(world.deps, foreign.id)).toEqual(foreign);
  });

  it("register creates, then updates only the fields given", async () => {
    const key = world.as({ apiKey: world.keys.manage.secret });
    world.clock.advance(10);
    const first = await key.agent.register({
      name: "runner",
      role: "coder",
      description: "runs things",
      tags: ["ci"],
      allowedTools: ["git"],
    });
    expect(first).toMatchObject({
      name: "runner",
      role: "coder",
      description: "runs things",
      tags: ["ci"],
      category: "general",
      status: "offline",
    });
    const count = countAgents(world.deps, projectId);

    world.clock.advance(10);
    const second = await key.agent.register({
      name: "runner",
      role: "senior coder",
      capabilities: ["rust"],
    });
    expect(second).toEqual({
      ...first,
      role: "senior coder",
      capabilities: ["rust"],
      updatedAt: first.updatedAt + 10,
    });
    expect(countAgents(world.deps, projectId)).toBe(count);
    expect(await owner.agent.byId({ projectId, id: first.id })).toEqual(second);
  });

  it("register keeps the status an operator set", async () => {
    const first = await owner.agent.register({ projectId, name: "steady", role: "coder" });
    await owner.agent.setEnabled({ projectId, id: first.id, enabled: false });
    const again = await owner.agent.register({
      projectId,
      name: "steady",
      role: "coder",
      description: "re-registered",
    });
    expect(again).toMatchObject({ status: "disabled", description: "re-registered" });
    expect(agentRow(world.deps, first.id)?.status).toBe("disabled");
  });

  it("a status smuggled into a patch or a registration is refused, and changes nothing", async () => {
    const created = await owner.agent.create({ projectId, name: "sneaky", role: "coder" });
    await expectTRPCError(
      owner.agent.update({ projectId, id: created.id, patch: { status: "busy", description: "changed" } as never }),
      "BAD_REQUEST",
    );
    expect(agentRow(world.deps, created.id)?.description).toBe("");
    await expectTRPCError(
      owner.agent.register({ projectId, name: "sneaky", role: "coder", status: "disabled" } as never),
      "BAD_REQUEST",
    );
    expect(agentRow(world.deps, created.id)?.status).toBe("offline");
  });

  it("lastEventId grows after each mutation", async () => {
    const ids: number[] = [];
    const snap = async () => ids.push(Number((await owner.agent.list({ projectId })).lastEventId));
    await snap();
    const a = await owner.agent.create({ projectId, name: "evented", role: "coder" });
    await snap();
    await owner.agent.update({ projectId, id: a.id, patch: { role: "x" } });
    await snap();
    await owner.agent.register({ projectId, name: "evented", role: "y" });
    await snap();
    await owner.agent.register({ projectId, name: "evented-2", role: "y" });
    await snap();
    await owner.agent.delete({ projectId, id: a.id });
    await snap();
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
    // Mutations elsewhere do not move this project's id.
    await world.users.foreignOwner.caller.agent.create({
      projectId: world.foreignProjectId,
      name: "elsewhere",
      role: "x",
    });
    expect(Number((await owner.agent.list({ projectId })).lastEventId)).toBe(ids.at(-1));
    // A failed mutation records nothing.
    await expectTRPCError(owner.agent.create({ projectId, name: "evented-2", role: "dup" }), "CONFLICT");
    expect(Number((await owner.agent.list({ projectId })).lastEventId)).toBe(ids.at(-1));
  });
});

describe("agent input validation", () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
  });
  afterAll(() => world.close());

  const bigMetadata = { blob: "x".repeat(LIMITS.metadataBytes) };
  const createCases: [string, Record<string, unknown>, string][] = [
    ["an empty name", { name: "", role: "r" }, "name"],
    ["a blank name", { name: "   ", role: "r" }, "name"],
    ["a name with a slash", { name: "a/b", role: "r" }, "name"],
    ["a 101-character name", { name: "n".repeat(LIMITS.nameLength + 1), role: "r" }, "name"],
    ["a missing role", { name: "ok" }, "role"],
    ["a negative token budget", { name: "ok", role: "r", budgetTokensPerSession: -1 }, "budgetTokensPerSession"],
    ["a fractional token budget", { name: "ok", role: "r", budgetTokensPerSession: 1.5 }, "budgetTokensPerSession"],
    ["a negative cost budget", { name: "ok", role: "r", budgetCostUsdPerDay: -0.01 }, "budgetCostUsdPerDay"],
    [
      "101 tags",
      {
        name: "ok",
        role: "r",
        tags: Array.from({ length: LIMITS.listItems + 1 }, (_, i) => `t${i}`),
      },
      "tags",
    ],
    ["an empty tag", { name: "ok", role: "r", tags: [""] }, "tags"],
    ["oversized metadata", { name: "ok", role: "r", metadata: bigMetadata }, "metadata"],
    ["a numeric name", { name: 42, role: "r" }, "name"],
    ["tags as a string", { name: "ok", role: "r", tags: "a,b" }, "tags"],
    ["metadata as an array", { name: "ok", role: "r", metadata: [1, 2] }, "metadata"],
    ["a budget as a string", { name: "ok", role: "r", budgetCostUsdPerDay: "5" }, "budgetCostUsdPerDay"],
    ["an unclosed bracket in a path scope", { name: "ok", role: "r", pathScopes: ["src/[unclosed"] }, "pathScopes"],
    ["a path scope reaching out with ..", { name: "ok", role: "r", pathScopes: ["**/../etc/passwd"] }, "pathScopes"],
    ["an absolute path scope", { name: "ok", role: "r", pathScopes: ["/abs/**"] }, "pathScopes"],
    ["a lone surrogate in the role", { name: "ok", role: "x\ud800y" }, "role"],
    ["a lone surrogate in the description", { name: "ok", role: "r", description: "\udc00" }, "description"],
    ["a lone surrogate in a metadata key", { name: "ok", role: "r", metadata: { "k\ud800": 1 } }, "metadata"],
  ];

  it.each(createCases)("create with %s is BAD_REQUEST naming %s and writes nothing", async (_label, input, field) => {
    const before = countAgents(world.deps);
    const call = world.users.owner.caller.agent.create({
      projectId: world.projectId,
      ...input,
    } as never);
    const error = await expectTRPCError(call, "BAD_REQUEST");
    const shape = errorShape(error, "agent.create");
    expect(shape.message).toMatch(new RegExp(`^Invalid input: (.*; )?${field}(\\.\\d+)?: `));
    expect(shape.data.zodError?.fieldErrors).toHaveProperty(field);
    expect(countAgents(world.deps)).toBe(before);
  });

  it("metadata nested 5,000 levels deep is BAD_REQUEST naming metadata, not a stack overflow", async () => {
    let metadata: Record<string, unknown> = {};
    for (let i = 0; i < 5_000; i++) metadata = { a: metadata };
    const before = countAgents(world.deps);
    const call = world.users.owner.caller.agent.create({
      projectId: world.projectId,
      name: "deep",
      role: "r",
      metadata: metadata as never,
    });
    const shape = errorShape(await expectTRPCError(call, "BAD_REQUEST"), "agent.create");
    expect(shape.message).toBe("Invalid input: metadata.a.a.a.….a: is nested more than 32 levels deep");
    expect(shape.data.zodError?.fieldErrors).toHaveProperty("metadata");
    expect(countAgents(world.deps)).toBe(before);
  });

  it("names every failing field at once", async () => {
    const error = await expectTRPCError(
      world.users.owner.caller.agent.create({
        projectId: world.projectId,
        name: "",
        role: "r",
        budgetTokensPerSession: -1,
      }),
      "BAD_REQUEST",
    );
    const shape = errorShape(error);
    expect(shape.message).toContain("name: ");
    expect(shape.message).toContain("budgetTokensPerSession: ");
    expect(Object.keys(shape.data.zodError?.fieldErrors ?? {}).sort()).toEqual(["budgetTokensPerSession", "name"]);
  });

  it.each([
    ["an empty name", { name: "" }, "patch.name"],
    ["a name with a slash", { name: "x/y" }, "patch.name"],
    ["a role that is blank", { role: "  " }, "patch.role"],
    ["a negative budget", { budgetTokensPerSession: -5 }, "patch.budgetTokensPerSession"],
  ] as [string, Record<string, unknown>, string][])(
    "update with %s is BAD_REQUEST naming %s and changes nothing",
    async (_l, patch, field) => {
      const { homeAgent, projectId } = world;
      const before = agentRow(world.deps, homeAgent.id);
      const error = await expectTRPCError(
        world.users.owner.caller.agent.update({ projectId, id: homeAgent.id, patch } as never),
        "BAD_REQUEST",
      );
      expect(errorShape(error).message).toMatch(new RegExp(`^Invalid input: ${field.replace(".", "\\.")}: `));
      expect(agentRow(world.deps, homeAgent.id)).toEqual(before);
    },
  );

  it("register with an invalid name writes nothing", async () => {
    const before = countAgents(world.deps);
    await expectTRPCError(
      world.users.owner.caller.agent.register({
        projectId: world.projectId,
        name: "a/b",
        role: "r",
      }),
      "BAD_REQUEST",
    );
    expect(countAgents(world.deps)).toBe(before);
  });

  it("a user must name the project", async () => {
    await expectTRPCError(world.users.owner.caller.agent.list({}), "BAD_REQUEST", /^projectId: /);
  });

  it("metadata of exactly the limit is accepted", async () => {
    const blob = "y".repeat(LIMITS.metadataBytes - JSON.stringify({ b: "" }).length);
    const created = await world.users.owner.caller.agent.create({
      projectId: world.projectId,
      name: "at-limit",
      role: "r",
      metadata: { b: blob },
    });
    expect(JSON.stringify(created.metadata).length).toBe(LIMITS.metadataBytes);
  });
});

describe("agent.list", () => {
  let env: ReturnType<typeof createTestDeps>;
  let owner: TestCaller;
  let projectId: string;
  let all: Agent[];

  const roles = ["coder", "reviewer", "researcher"] as const;
  const statuses = ["idle", "busy", "error"] as const;
  const categories = ["engineering", "research"] as const;
  const TOTAL = 250;

  beforeAll(async () => {
    env = createTestDeps();
    const signed = await signUpUser(env.deps, "owner@example.com", "Owner");
    owner = signed.caller;
    projectId = (await owner.auth.me()).memberships[0]!.projectId;
    // Created in a shuffled name order; the clock moves only every 7 agents so timestamps tie.
    const order = Array.from({ length: TOTAL }, (_, i) => (i * 97) % TOTAL);
    for (const [n, i] of order.entries()) {
      if (n % 7 === 0) env.clock.advance(1_000);
      await owner.agent.create({
        projectId,
        name: `agent-${String(i).padStart(3, "0")}`,
        role: roles[i % 3]!,
        category: categories[i % 2]!,
        description: i % 10 === 0 ? `handles billing case ${i}` : "general helper",
      });
    }
    const created = (await owner.agent.list({ projectId, limit: LIMITS.pageSize })).items;
    expect(created).toHaveLength(LIMITS.pageSize);
    // Statuses are driven by sessions, so this bulk fixture sets them (and updatedAt, with ties
    // again) straight in the database, like lastActiveAt.
    const ids = env.deps.db.select({ id: agents.id, name: agents.name }).from(agents).all();
    for (const [n, { id, name }] of ids.entries()) {
      const i = Number(name.slice(-3));
      if (i % 4 !== 0) {
        if (n % 11 === 0) env.clock.advance(500);
        env.deps.db
          .update(agents)
          .set({ status: statuses[Math.floor(i / 3) % 3]!, updatedAt: env.clock.now() })
          .where(eq(agents.id, id))
          .run();
      }
      if (i % 5 !== 0) {
        env.deps.db
          .update(agents)
          .set({ lastActiveAt: 1_000_000 + (i % 6) * 1_000 })
          .where(eq(agents.id, id))
          .run();
      }
    }
    all = env.deps.db.select().from(agents).where(eq(agents.projectId, projectId)).all();
    expect(all).toHaveLength(TOTAL);
  });
  afterAll(() => env.close());

  const sortValue = (agent: Agent, sort: AgentSort): string | number =>
    sort === "lastActiveAt" ? (agent.lastActiveAt ?? 0) : agent[sort];
  const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  function expected(sort: AgentSort, order: "asc" | "desc", items = all): string[] {
    const sign = order === "asc" ? 1 : -1;
    return [...items]
      .sort((a, b) => sign * (compare(sortValue(a, sort), sortValue(b, sort)) || compare(a.id, b.id)))
      .map((a) => a.id);
  }

  async function collect(input: Record<string, unknown>, limit: number) {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<TestCaller["agent"]["list"]>> = await owner.agent.list({
        projectId,
        ...input,
        limit,
        cursor,
      });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      ids.push(...page.items.map((a) => a.id));
      cursor = page.nextCursor;
      pages++;
      expect(pages).toBeLessThan(100);
    } while (cursor);
    return ids;
  }

  it("the fixture really has ties on every sort key but name", () => {
    for (const sort of ["role", "status", "createdAt", "updatedAt", "lastActiveAt"] as const) {
      expect(new Set(all.map((a) => sortValue(a, sort))).size, sort).toBeLessThan(TOTAL / 2);
    }
    expect(all.some((a) => a.lastActiveAt === null)).toBe(true);
  });

  const sorts: AgentSort[] = ["name", "createdAt", "updatedAt", "lastActiveAt", "status", "role"];
  const combos = sorts.flatMap((sort) => (["asc", "desc"] as const).map((order) => [sort, order] as const));

  it.each(combos)("sort %s %s pages through every agent exactly once, in order", async (sort, order) => {
    const ids = await collect({ sort, order }, 37);
    expect(new Set(ids).size).toBe(TOTAL);
    expect(ids).toEqual(expected(sort, order));
  });

  it("an exact page size ends without an empty extra page", async () => {
    const first = await owner.agent.list({ projectId, limit: 125 });
    expect(first.nextCursor).not.toBeNull();
    const second = await owner.agent.list({ projectId, limit: 125, cursor: first.nextCursor });
    expect(second.items).toHaveLength(125);
    expect(second.nextCursor).toBeNull();
  });

  it("defaults to name ascending, 50 per page", async () => {
    const page = await owner.agent.list({ projectId });
    expect(page.items).toHaveLength(LIMITS.defaultPageSize);
    expect(page.items.map((a) => a.id)).toEqual(expected("name", "asc").slice(0, LIMITS.defaultPageSize));
  });

  it("filters by role, category and status, combined with paging", async () => {
    const byRole = await collect({ role: "reviewer" }, 20);
    expect(byRole).toEqual(
      expected(
        "name",
        "asc",
        all.filter((a) => a.role === "reviewer"),
      ),
    );
    const byCategory = await collect({ category: "research", sort: "createdAt", order: "desc" }, 30);
    expect(byCategory).toEqual(
      expected(
        "createdAt",
        "desc",
        all.filter((a) => a.category === "research"),
      ),
    );
    const byStatus = await collect({ status: "busy", role: "coder" }, 10);
    const want = all.filter((a) => a.status === "busy" && a.role === "coder");
    expect(want.length).toBeGreaterThan(0);
    expect(byStatus).toEqual(expected("name", "asc", want));
    const offline = await collect({ status: "offline" }, 50);
    expect(offline).toEqual(
      expected(
        "name",
        "asc",
        all.filter((a) => Number(a.name.slice(-3)) % 4 === 0),
      ),
    );
    expect((await owner.agent.list({ projectId, status: "disabled" })).items).toEqual([]);
  });

  it("q matches the name and the description", async () => {
    const byName = await collect({ q: "agent-01" }, 50);
    expect(byName).toEqual(
      expected(
        "name",
        "asc",
        all.filter((a) => a.name.includes("agent-01")),
      ),
    );
    expect(byName).toHaveLength(10);
    const byDescription = await collect({ q: "billing" }, 50);
    expect(byDescription).toEqual(
      expected(
        "name",
        "asc",
        all.filter((a) => a.description.includes("billing")),
      ),
    );
    expect(byDescription).toHaveLength(25);
    expect((await owner.agent.list({ projectId, q: "no such thing" })).items).toEqual([]);
  });

  it("q treats % and _ literally", async () => {
    await owner.agent.create({ projectId, name: "pct", role: "r", description: "done 100% of it" });
    await owner.agent.create({ projectId, name: "pcx", role: "r", description: "done 100x of it" });
    await owner.agent.create({ projectId, name: "under", role: "r", description: "snake_case" });
    await owner.agent.create({ projectId, name: "unders", role: "r", description: "snakeXcase" });
    expect((await owner.agent.list({ projectId, q: "100%" })).items.map((a) => a.name)).toEqual(["pct"]);
    expect((await owner.agent.list({ projectId, q: "snake_case" })).items.map((a) => a.name)).toEqual(["under"]);
  });

  it("q matches tags one by one, never the JSON they are stored as", async () => {
    await owner.agent.create({ projectId, name: "tagged", role: "r", tags: ["night-shift", "eu"] });
    const names = async (q: string) => (await owner.agent.list({ projectId, q })).items.map((a) => a.name);
    expect(await names("night-sh")).toEqual(["tagged"]);
    for (const syntax of ["[", "]", '"', '","', '["']) expect(await names(syntax), `q=${syntax}`).toEqual([]);
  });

  it("a garbage cursor is BAD_REQUEST", async () => {
    await expectTRPCError(owner.agent.list({ projectId, cursor: "garbage!!" }), "BAD_REQUEST", /^cursor: /);
    const wrongShape = Buffer.from(JSON.stringify({ a: 1 })).toString("base64url");
    await expectTRPCError(owner.agent.list({ projectId, cursor: wrongShape }), "BAD_REQUEST", /^cursor: /);
  });

  it("rejects a page size over the limit", async () => {
    await expectTRPCError(owner.agent.list({ projectId, limit: LIMITS.pageSize + 1 }), "BAD_REQUEST");
    await expectTRPCError(owner.agent.list({ projectId, limit: 0 }), "BAD_REQUEST");
  });
});

describe("no-op writes", () => {
  it("an update or registration that changes nothing records no change event", async () => {
    const world = await createWorld();
    const owner = world.as({ sessionToken: world.users.owner.token });
    const projectId = world.projectId;
    const agent = await owner.agent.create({ projectId, name: "steady", role: "coder", description: "same" });
    const before = (await owner.agent.list({ projectId, limit: 1 })).lastEventId;
    await owner.agent.update({ projectId, id: agent.id, patch: { description: "same", role: "coder" } });
    await owner.agent.register({ projectId, name: "steady", role: "coder" });
    expect((await owner.agent.list({ projectId, limit: 1 })).lastEventId).toBe(before);
    await owner.agent.update({ projectId, id: agent.id, patch: { description: "different" } });
    expect(Number((await owner.agent.list({ projectId, limit: 1 })).lastEventId)).toBe(Number(before) + 1);
    world.close();
  });
});
