import { fileURLToPath } from "node:url";
import { projects } from "@tower/db";
import { AgentStatusSchema, IMPORT_FILES_PER_CALL, type IdentityFile } from "@tower/shared";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  agentRow,
  countAgents,
  createWorld,
  errorShape,
  expectTRPCError,
  type TestCaller,
  type World,
} from "../test-fixtures";
import { DEMO_PROJECT_NAME, ensureDemoProject } from "../demo/demo-seed";
import { readIdentityFolder } from "@tower/shared/node";

const FLEET_DIR = fileURLToPath(new URL("../../../../examples/fleet", import.meta.url));

let world: World;
let owner: TestCaller;
let operator: TestCaller;
let projectId: string;

beforeEach(async () => {
  world = await createWorld();
  owner = world.users.owner.caller;
  operator = world.users.operator.caller;
  projectId = world.projectId;
});
afterEach(() => world.close());

const latest = async () => (await owner.agent.list({ projectId, limit: 1 })).lastEventId;

const listFile: IdentityFile = {
  name: "team.yaml",
  content: `agents:
  - name: scout
    role: researcher
    category: research
    description: Finds sources.
    version: 1.0.0
    owner: ana@example.com
    tags: [demo, canary]
    pathScopes: ["notes/**"]
    budgetTokensPerSession: 50000
    metadata:
      tier: gold
  - name: critic
    role: reviewer
`,
};
const arrayFile: IdentityFile = {
  name: "more.JSON",
  content: JSON.stringify([
    { name: "builder", role: "coder", allowedTools: ["git"], budgetCostUsdPerDay: 2.5 },
    { name: "tester", role: "qa", capabilities: ["e2e"] },
  ]),
};
const singleFile: IdentityFile = {
  name: "solo.yml",
  content: "name: loner\nrole: support\ndescription: Works alone\n",
};

describe("agent.import", () => {
  it("creates agents from a YAML agents list, a JSON array and a single-agent YAML file", async () => {
    const report = await operator.agent.import({ projectId, files: [listFile, arrayFile, singleFile] });
    expect(report).toEqual({
      files: [
        {
          file: "team.yaml",
          agents: [
            { name: "scout", outcome: "created" },
            { name: "critic", outcome: "created" },
          ],
        },
        {
          file: "more.JSON",
          agents: [
            { name: "builder", outcome: "created" },
            { name: "tester", outcome: "created" },
          ],
        },
        { file: "solo.yml", agents: [{ name: "loner", outcome: "created" }] },
      ],
      totals: { created: 5, updated: 0, unchanged: 0, rejected: 0 },
    });
    expect(await owner.agent.byName({ projectId, name: "scout" })).toMatchObject({
      role: "researcher",
      category: "research",
      version: "1.0.0",
      owner: "ana@example.com",
      tags: ["demo", "canary"],
      pathScopes: ["notes/**"],
      budgetTokensPerSession: 50_000,
      metadata: { tier: "gold" },
      status: "offline",
    });
    expect(await owner.agent.byName({ projectId, name: "builder" })).toMatchObject({
      allowedTools: ["git"],
      budgetCostUsdPerDay: 2.5,
    });
    expect(await owner.agent.byName({ projectId, name: "loner" })).toMatchObject({ description: "Works alone" });
    expect(countAgents(world.deps, projectId)).toBe(6);
  });

  it("re-importing the same files changes nothing; editing one field updates only that agent", async () => {
    await owner.agent.import({ projectId, files: [listFile, arrayFile, singleFile] });
    const before = await latest();
    const scout = await owner.agent.byName({ projectId, name: "scout" });

    world.clock.advance(1_000);
    const again = await owner.agent.import({ projectId, files: [listFile, arrayFile, singleFile] });
    expect(again.totals).toEqual({ created: 0, updated: 0, unchanged: 5, rejected: 0 });
    expect(again.files.flatMap((f) => f.agents).every((a) => a.outcome === "unchanged")).toBe(true);
    expect(await latest()).toBe(before);
    expect(await owner.agent.byName({ projectId, name: "scout" })).toEqual(scout);

    const edited = { ...listFile, content: listFile.content.replace("Finds sources.", "Finds better sources.") };
    const third = await owner.agent.import({ projectId, files: [edited, arrayFile, singleFile] });
    expect(third.totals).toEqual({ created: 0, updated: 1, unchanged: 4, rejected: 0 });
    expect(third.files[0]!.agents).toEqual([
      { name: "scout", outcome: "updated" },
      { name: "critic", outcome: "unchanged" },
    ]);
    expect(await owner.agent.byName({ projectId, name: "scout" })).toEqual({
      ...scout,
      description: "Finds better sources.",
      updatedAt: world.clock.now(),
    });
    expect(Number(await latest())).toBeGreaterThan(Number(before));
  });

  it("an import keeps the agent's runtime state: status, team and counters", async () => {
    await owner.agent.import({ projectId, files: [singleFile] });
    const sdk = world.as({ apiKey: world.keys.manage.secret });
    const { session } = await sdk.session.start({ name: "loner" });
    await sdk.session.report({ sessionId: session.id, success: true, executionMs: 10 });
    const edited = { ...singleFile, content: singleFile.content.replace("Works alone", "Works together") };
    await owner.agent.import({ projectId, files: [edited] });
    expect(await owner.agent.byName({ projectId, name: "loner" })).toMatchObject({
      description: "Works together",
      status: "idle",
      sessionsCount: 1,
      runsCount: 1,
    });
  });

  it("a file that cannot be read is a file-level error; the other files are still imported", async () => {
    const report = await owner.agent.import({
      projectId,
      files: [
        { name: "broken.yaml", content: "agents:\n  - name: a\n    role: [unclosed\n" },
        { name: "broken.json", content: '[{ "name": ' },
        { name: "notes.txt", content: "name: x\nrole: y\n" },
        { name: "scalar.yaml", content: "just a string" },
        singleFile,
      ],
    });
    expect(report.files.map((f) => [f.file, f.agents.length, typeof f.error])).toEqual([
      ["broken.yaml", 0, "string"],
      ["broken.json", 0, "string"],
      ["notes.txt", 0, "string"],
      ["scalar.yaml", 0, "string"],
      ["solo.yml", 1, "undefined"],
    ]);
    expect(report.files[2]!.error).toMatch(/unsupported/i);
    expect(report.totals).toEqual({ created: 1, updated: 0, unchanged: 0, rejected: 0 });
    expect(countAgents(world.deps, projectId)).toBe(2);
    await expectTRPCError(owner.agent.byName({ projectId, name: "x" }), "NOT_FOUND");
  });

  it("a file nested too deeply to read is a file-level error in words, not a stack overflow", async () => {
    const report = await owner.agent.import({
      projectId,
      files: [
        { name: "deep.yaml", content: `name: a\nrole: r\nmetadata: ${"[".repeat(5_000)}${"]".repeat(5_000)}\n` },
        {
          name: "deep.json",
          content: `{"name":"b","role":"r","metadata":{"x":${"[".repeat(5_000)}${"]".repeat(5_000)}}}`,
        },
        singleFile,
      ],
    });
    expect(report.files.map((f) => [f.file, f.error])).toEqual([
      ["deep.yaml", "The file is nested too deeply to read (at most 32 levels)"],
      ["deep.json", "metadata.x.0.0.….0: is nested more than 32 levels deep"],
      ["solo.yml", undefined],
    ]);
    expect(report.totals.created).toBe(1);
  });

  it("path scopes are checked by the glob matcher: an unclosed bracket, '..' or an absolute path is rejected with why", async () => {
    const report = await owner.agent.import({
      projectId,
      files: [
        {
          name: "scopes.yaml",
          content: `agents:
  - { name: bracket, role: r, pathScopes: ["src/[unclosed"] }
  - { name: escape, role: r, pathScopes: ["**/../etc/passwd"] }
  - { name: absolute, role: r, pathScopes: ["/abs/**"] }
  - { name: fine, role: r, pathScopes: ["src/**", "data/*.{csv,json}"] }
`,
        },
      ],
    });
    expect(report.files[0]!.agents).toEqual([
      {
        name: "bracket",
        outcome: "rejected",
        reason: expect.stringMatching(/^pathScopes\.0: "src\/\[unclosed" is not a valid glob: Missing closing: "\]"/),
      },
      { name: "escape", outcome: "rejected", reason: expect.stringMatching(/^pathScopes\.0: .* has a "\.\." segment/) },
      { name: "absolute", outcome: "rejected", reason: expect.stringMatching(/^pathScopes\.0: .* is absolute/) },
      { name: "fine", outcome: "created" },
    ]);
  });

  it("an invalid item is rejected with a reason naming the field; its siblings are created", async () => {
    const report = await owner.agent.import({
      projectId,
      files: [
        {
          name: "mixed.yaml",
          content: `agents:
  - name: good-1
    role: coder
  - name: no-role
    description: forgot the role
  - name: bad/name
    role: coder
  - role: nameless
  - name: good-2
    role: coder
    budgetTokensPerSession: -5
  - name: good-3
    role: coder
`,
        },
      ],
    });
    const agents = report.files[0]!.agents;
    expect(agents.map((a) => [a.name, a.outcome])).toEqual([
      ["good-1", "created"],
      ["no-role", "rejected"],
      ["bad/name", "rejected"],
      ["#4", "rejected"],
      ["good-2", "rejected"],
      ["good-3", "created"],
    ]);
    expect(agents[1]!.reason).toMatch(/^role: /);
    expect(agents[2]!.reason).toMatch(/^name: /);
    expect(agents[3]!.reason).toMatch(/^name: /);
    expect(agents[4]!.reason).toMatch(/^budgetTokensPerSession: /);
    expect(report.totals).toEqual({ created: 2, updated: 0, unchanged: 0, rejected: 4 });
    expect((await owner.agent.list({ projectId })).items.map((a) => a.name)).toEqual([
      "good-1",
      "good-3",
      "home-agent",
    ]);
  });

  it("more than 50 files is BAD_REQUEST and imports nothing", async () => {
    const files = Array.from({ length: IMPORT_FILES_PER_CALL + 1 }, (_, i) => ({
      name: `a-${i}.yml`,
      content: `name: a-${i}\nrole: r\n`,
    }));
    const error = await expectTRPCError(owner.agent.import({ projectId, files }), "BAD_REQUEST");
    expect(errorShape(error).message).toMatch(/files/);
    expect(countAgents(world.deps, projectId)).toBe(1);
    const ok = await owner.agent.import({ projectId, files: files.slice(0, IMPORT_FILES_PER_CALL) });
    expect(ok.totals.created).toBe(IMPORT_FILES_PER_CALL);
  });

  it("the demo fleet imports 200 agents with none rejected", async () => {
    const files = readIdentityFolder(FLEET_DIR);
    expect(files).toHaveLength(10);
    const report = await owner.agent.import({ projectId, files });
    expect(report.files.filter((f) => f.error)).toEqual([]);
    expect(report.totals).toEqual({ created: 200, updated: 0, unchanged: 0, rejected: 0 });
    expect(countAgents(world.deps, projectId)).toBe(201);
    expect((await owner.agent.import({ projectId, files })).totals).toEqual({
      created: 0,
      updated: 0,
      unchanged: 200,
      rejected: 0,
    });
  });
});

describe("ensureDemoProject", () => {
  it("creates the demo project once, with the hand-written agents plus the fleet", () => {
    const files = readIdentityFolder(FLEET_DIR);
    const first = ensureDemoProject(world.deps, files);
    expect(first.created).toBe(true);
    expect(countAgents(world.deps, first.projectId)).toBe(204);
    const second = ensureDemoProject(world.deps, files);
    expect(second).toEqual({ projectId: first.projectId, created: false });
    expect(countAgents(world.deps, first.projectId)).toBe(204);
    const demo = world.deps.db.select().from(projects).where(eq(projects.isDemo, true)).all();
    expect(demo).toHaveLength(1);
    expect(demo[0]!.name).toBe(DEMO_PROJECT_NAME);
    // The user's own project is untouched.
    expect(countAgents(world.deps, projectId)).toBe(1);
  });
});

describe("agent.summary and the tag filter", () => {
  it("counts by status (all five always present), role and category", async () => {
    const sdk = world.as({ apiKey: world.keys.manage.secret });
    const empty = await world.users.viewer.caller.agent.summary({ projectId });
    expect(empty.byStatus).toEqual({ idle: 0, busy: 0, offline: 1, error: 0, disabled: 0 });
    expect(Object.keys(empty.byStatus).sort()).toEqual([...AgentStatusSchema.options].sort());

    const make = (name: string, role: string, category: string) =>
      owner.agent.create({ projectId, name, role, category });
    await make("r1", "researcher", "research");
    await make("r2", "researcher", "research");
    await make("r3", "researcher", "research");
    const broken = await make("c1", "coder", "engineering");
    const off = await make("c2", "coder", "research");
    await sdk.session.start({ name: "r1" });
    const busy = await sdk.session.start({ name: "r2" });
    await sdk.session.heartbeat({ sessionId: busy.session.id, status: "busy" });
    await owner.agent.setEnabled({ projectId, id: off.id, enabled: false });
    world.sqlite.prepare("update agents set status = 'error' where id = ?").run(broken.id);

    const summary = await world.as({ apiKey: world.keys.read.secret }).agent.summary({});
    expect(summary).toEqual({
      total: 6,
      byStatus: { idle: 1, busy: 1, offline: 2, error: 1, disabled: 1 },
      byRole: [
        { role: "coder", count: 3 }, // home-agent is a coder too
        { role: "researcher", count: 3 },
      ],
      byCategory: [
        { category: "research", count: 4 },
        { category: "engineering", count: 1 },
        { category: "general", count: 1 },
      ],
    });
    await make("r4", "researcher", "research");
    expect((await owner.agent.summary({ projectId })).byRole[0]).toEqual({ role: "researcher", count: 4 });
    expect(agentRow(world.deps, broken.id)?.status).toBe("error");
  });

  it("the demo fleet's summary adds up and ranks roles by count", async () => {
    await owner.agent.import({ projectId, files: readIdentityFolder(FLEET_DIR) });
    const summary = await owner.agent.summary({ projectId });
    expect(summary.total).toBe(201);
    expect(Object.values(summary.byStatus).reduce((a, b) => a + b, 0)).toBe(201);
    expect(summary.byRole.reduce((sum, r) => sum + r.count, 0)).toBe(201);
    expect(summary.byRole[0]).toEqual({ role: "analyst", count: 40 });
    for (let i = 1; i < summary.byRole.length; i++) {
      expect(summary.byRole[i - 1]!.count).toBeGreaterThanOrEqual(summary.byRole[i]!.count);
    }
  });

  it("agent.list filters by an exact tag", async () => {
    await owner.agent.create({ projectId, name: "t1", role: "r", tags: ["canary", "demo"] });
    await owner.agent.create({ projectId, name: "t2", role: "r", tags: ["demo"] });
    await owner.agent.create({ projectId, name: "t3", role: "r", tags: ["canary-old"] });
    await world.users.foreignOwner.caller.agent.create({
      projectId: world.foreignProjectId,
      name: "t4",
      role: "r",
      tags: ["canary"],
    });
    const names = async (tag: string) => (await owner.agent.list({ projectId, tag })).items.map((a) => a.name);
    expect(await names("canary")).toEqual(["t1"]);
    expect(await names("demo")).toEqual(["t1", "t2"]);
    expect(await names("canar")).toEqual([]);
    expect((await owner.agent.list({ projectId, tag: "demo", q: "t2" })).items.map((a) => a.name)).toEqual(["t2"]);
  });
});
