import { DEFAULT_POLICY, type PolicyDocument } from "@tower/shared";
import { parse } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  callerWithSignal,
  createWorld,
  errorShape,
  expectTRPCError,
  reader,
  type TestCaller,
  type World,
} from "../test-fixtures";

let world: World;
let owner: TestCaller;
let admin: TestCaller;
let projectId: string;
const controllers: AbortController[] = [];

beforeEach(async () => {
  world = await createWorld();
  owner = world.users.owner.caller;
  admin = world.users.admin.caller;
  projectId = world.projectId;
});
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort();
  world.close();
});

const NO_BASH: PolicyDocument = {
  ...DEFAULT_POLICY,
  rules: [
    {
      id: "no-bash",
      description: "Shell is off",
      match: { tools: ["Bash"] },
      effect: "deny",
      reason: "No shell here",
    },
  ],
};

const versionsCount = () =>
  (
    world.sqlite.prepare("select count(*) as n from policy_versions where project_id = ?").get(projectId) as {
      n: number;
    }
  ).n;

describe("versions", () => {
  it("version 0 is the built-in default, until a project saves one", async () => {
    const current = await world.users.viewer.caller.policy.get({ projectId });
    expect(current).toEqual({
      version: 0,
      document: DEFAULT_POLICY,
      summary: expect.stringContaining("built-in default"),
      createdAt: 0,
      actorName: "tower",
    });
    expect(await owner.policy.version({ projectId, version: 0 })).toEqual(current);
    expect(await owner.policy.versions({ projectId })).toEqual({ items: [current], nextCursor: null });
    await expectTRPCError(owner.policy.version({ projectId, version: 1 }), "NOT_FOUND", /Policy version 1/);
    expect(versionsCount()).toBe(0);
  });

  it("save makes version 1 with a summary, audited and announced", async () => {
    const before = (await owner.agent.list({ projectId, limit: 1 })).lastEventId;
    const controller = new AbortController();
    controllers.push(controller);
    const changes = reader(
      await callerWithSignal(world.deps, { sessionToken: world.users.viewer.token }, controller.signal).policy.onChange(
        {
          projectId,
          lastEventId: before,
        },
      ),
    );
    world.clock.advance(5_000);
    const saved = await admin.policy.save({ projectId, document: NO_BASH, expectedVersion: 0 });
    expect(saved).toEqual({
      changed: true,
      policy: {
        version: 1,
        document: NO_BASH,
        summary: "added rule no-bash (#1)",
        createdAt: world.clock.now(),
        actorName: "Adam Admin",
      },
    });
    expect(await owner.policy.get({ projectId })).toEqual(saved.policy);
    expect((await changes.next()).data).toMatchObject({
      entity: "policy",
      op: "updated",
      data: { id: projectId, version: 1, summary: "added rule no-bash (#1)", actorName: "Adam Admin" },
    });
    const audit = world.sqlite
      .prepare(
        "select actor_name, target, detail from audit_events where project_id = ? and operation = 'policy.updated'",
      )
      .all(projectId);
    expect(audit).toEqual([
      {
        actor_name: "Adam Admin",
        target: "version 1",
        detail: JSON.stringify({ version: 1, summary: "added rule no-bash (#1)" }),
      },
    ]);
    // The new version is in force at once.
    expect(await owner.policy.check({ projectId, agent: "home-agent", tool: "Bash" })).toMatchObject({
      decision: "denied",
      ruleId: "no-bash",
      policyVersion: 1,
    });
  });

  it("saving from a stale version is a CONFLICT naming the version and who saved it; nothing is saved", async () => {
    await admin.policy.save({ projectId, document: NO_BASH, expectedVersion: 0 });
    const other = { ...NO_BASH, defaultEffect: "deny" as const };
    await expectTRPCError(
      owner.policy.save({ projectId, document: other, expectedVersion: 0 }),
      "CONFLICT",
      /changed meanwhile \(now version 1, by Adam Admin\)/,
    );
    await expectTRPCError(owner.policy.save({ projectId, document: other, expectedVersion: 2 }), "CONFLICT");
    expect(versionsCount()).toBe(1);
    expect((await owner.policy.get({ projectId })).document).toEqual(NO_BASH);
  });

  it("saving the document in force makes no new version", async () => {
    const first = await admin.policy.save({ projectId, document: NO_BASH, expectedVersion: 0 });
    const again = await owner.policy.save({ projectId, document: NO_BASH, expectedVersion: 1 });
    expect(again).toEqual({ changed: false, policy: first.policy });
    expect(versionsCount()).toBe(1);
    // Defaults filled in by the schema count as the same document.
    const sparse = await owner.policy.save({
      projectId,
      document: {
        rules: [
          {
            id: "no-bash",
            description: "Shell is off",
            match: { tools: ["Bash"] },
            effect: "deny",
            reason: "No shell here",
          },
        ],
      },
      expectedVersion: 1,
    });
    expect(sparse.changed).toBe(false);
    // Saving the built-in default over version 0 is no change either.
    expect(versionsCount()).toBe(1);
  });

  it("summaries name what changed; versions page newest first and end with version 0", async () => {
    const save = (document: PolicyDocument, expectedVersion: number) =>
      owner.policy.save({ projectId, document, expectedVersion });
    const allowRead = {
      id: "allow-read",
      description: "",
      match: { tools: ["Read"] },
      effect: "allow" as const,
      reason: "Reading is fine",
    };
    await save(NO_BASH, 0);
    await save({ ...NO_BASH, rules: [...NO_BASH.rules, allowRead] }, 1);
    await save({ ...NO_BASH, rules: [allowRead, NO_BASH.rules[0]!] }, 2);
    await save(
      { ...NO_BASH, defaultEffect: "deny", rules: [allowRead, { ...NO_BASH.rules[0]!, effect: "require_approval" }] },
      3,
    );
    await save({ ...NO_BASH, defaultEffect: "deny", rules: [allowRead] }, 4);

    const all = await owner.policy.versions({ projectId, limit: 100 });
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((v) => [v.version, v.summary])).toEqual([
      [5, "removed rule no-bash"],
      [4, expect.stringMatching(/the default effect.*no-bash: effect|no-bash: effect.*the default effect/)],
      [3, expect.stringMatching(/^moved rule (no-bash|allow-read) from #\d to #\d$/)],
      [2, "added rule allow-read (#2)"],
      [1, "added rule no-bash (#1)"],
      [0, expect.stringContaining("built-in default")],
    ]);

    // Pages of two: 5 4 | 3 2 | 1 0, each page at most `limit` long.
    const pages: number[][] = [];
    let cursor: number | null = null;
    for (let i = 0; i < 10; i++) {
      const page: { items: { version: number }[]; nextCursor: number | null } = await owner.policy.versions({
        projectId,
        limit: 2,
        cursor,
      });
      expect(page.items.length).toBeLessThanOrEqual(2);
      pages.push(page.items.map((v) => v.version));
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    expect(pages).toEqual([
      [5, 4],
      [3, 2],
      [1, 0],
    ]);
    // A page that ends exactly at version 1 still leads to version 0.
    const threes: number[][] = [];
    cursor = null;
    for (let i = 0; i < 10; i++) {
      const page: { items: { version: number }[]; nextCursor: number | null } = await owner.policy.versions({
        projectId,
        limit: 5,
        cursor,
      });
      expect(page.items.length).toBeLessThanOrEqual(5);
      threes.push(page.items.map((v) => v.version));
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    expect(threes).toEqual([[5, 4, 3, 2, 1], [0]]);
    expect((await owner.policy.version({ projectId, version: 2 })).document.rules.map((r) => r.id)).toEqual([
      "no-bash",
      "allow-read",
    ]);
  });

  it("an invalid document is refused naming the field", async () => {
    /** The message a client reads (the app's error formatter names each field). */
    const refusal = async (document: unknown) => {
      const error = await expectTRPCError(
        owner.policy.save({ projectId, document: document as PolicyDocument, expectedVersion: 0 }),
        "BAD_REQUEST",
      );
      return errorShape(error).message;
    };
    expect(await refusal({ rules: [{ id: "Bad Id", effect: "deny", reason: "x" }] })).toMatch(
      /^Invalid input: document\.rules\.0\.id: A rule id is/,
    );
    expect(await refusal({ rules: [{ id: "a", effect: "deny", reason: "x", ttlSeconds: 60 }] })).toMatch(
      /document\.rules\.0\.ttlSeconds: ttlSeconds applies only/,
    );
    expect(await refusal({ rules: [{ id: "a", effect: "deny", reason: "x", match: { tools: [] } }] })).toMatch(
      /document\.rules\.0\.match\.tools: List at least one tool/,
    );
    expect(await refusal({ rules: [{ id: "a", effect: "deny", reason: "x", match: { paths: ["/etc/**"] } }] })).toMatch(
      /document\.rules\.0\.match\.paths\.0: .*absolute/,
    );
    expect(
      await refusal({ rules: [{ id: "a", effect: "deny", reason: "x", match: { tools: ["[unclosed"] } }] }),
    ).toMatch(/document\.rules\.0\.match\.tools\.0: .*not a valid glob/);
    expect(
      await refusal({
        rules: [
          { id: "a", effect: "deny", reason: "x" },
          { id: "a", effect: "allow", reason: "y" },
        ],
      }),
    ).toMatch(/document\.rules\.1\.id: Rule id "a" is used twice/);
    expect(await refusal({ approverRole: "viewer" })).toMatch(/document\.approverRole/);
    expect(versionsCount()).toBe(0);
  });
});

describe("YAML", () => {
  it("export then import is a round trip: the same document, no new version", async () => {
    const document: PolicyDocument = {
      defaultEffect: "require_approval",
      defaultReason: "Ask first",
      defaultTtlSeconds: 600,
      approverRole: "admin",
      rules: [
        ...NO_BASH.rules,
        {
          id: "prod-paths",
          description: "Production needs a person: 'quotes', #hash and: colons",
          match: {
            agents: ["home-agent"],
            roles: ["coder"],
            tags: ["prod"],
            teams: ["Blue"],
            tools: ["Write", "mcp__*"],
            operations: ["tool_use"],
            paths: ["prod/**", "**/*.sql"],
            costAbove: 0.25,
          },
          effect: "require_approval",
          reason: "Production",
          ttlSeconds: 120,
        },
      ],
    };
    await owner.policy.save({ projectId, document, expectedVersion: 0 });
    const { yaml } = await world.users.viewer.caller.policy.exportYaml({ projectId });
    expect(yaml).toMatch(/^# Tower policy, version 1\./);
    expect(parse(yaml)).toEqual(document);
    expect(await owner.policy.importYaml({ projectId, yaml, expectedVersion: 1 })).toMatchObject({ changed: false });
    expect(versionsCount()).toBe(1);

    // Into another project it is a new version with the same document.
    const foreign = world.users.foreignOwner.caller;
    const imported = await foreign.policy.importYaml({ projectId: world.foreignProjectId, yaml, expectedVersion: 0 });
    expect(imported).toMatchObject({ changed: true, policy: { version: 1, document } });
  });

  it("the default exports and an edited export imports as a new version", async () => {
    const { yaml } = await owner.policy.exportYaml({ projectId });
    expect(yaml).toMatch(/^# Tower policy, version 0\./);
    expect(parse(yaml)).toEqual(DEFAULT_POLICY);
    const edited = yaml.replace("defaultEffect: allow", "defaultEffect: deny");
    const saved = await admin.policy.importYaml({ projectId, yaml: edited, expectedVersion: 0 });
    expect(saved).toMatchObject({
      changed: true,
      policy: { version: 1, document: { ...DEFAULT_POLICY, defaultEffect: "deny" } },
    });
    expect(saved.policy.summary).toContain("changed the default effect");
    // An empty file (or one holding only `~` or comments) is a mistake, not a policy: refused, so
    // it cannot remove every rule; the default document imports from its own export.
    for (const yaml of ["", "~\n", "# nothing yet\n"]) {
      await expectTRPCError(
        admin.policy.importYaml({ projectId, yaml, expectedVersion: 1 }),
        "BAD_REQUEST",
        /^yaml: The YAML is empty; a policy with no rules says `rules: \[\]`$/,
      );
    }
    expect((await owner.policy.get({ projectId })).version).toBe(1);
  });

  it("text that is not valid Unicode is refused from YAML as from JSON; nothing is saved", async () => {
    await expectTRPCError(
      owner.policy.importYaml({ projectId, yaml: 'defaultReason: "bad \\ud800 char"\n', expectedVersion: 0 }),
      "BAD_REQUEST",
      /^yaml: The YAML could not be read: defaultReason: contains a broken character/,
    );
    expect((await owner.policy.get({ projectId })).version).toBe(0);
  });

  it("bad YAML and invalid documents are BAD_REQUEST naming the problem; nothing is saved", async () => {
    const importYaml = (yaml: string, expectedVersion = 0) =>
      owner.policy.importYaml({ projectId, yaml, expectedVersion });
    const unreadable = await expectTRPCError(
      importYaml("rules: [\n  - id: a\n"),
      "BAD_REQUEST",
      /^yaml: The YAML could not be read/,
    );
    expect(unreadable.cause).toMatchObject({ field: "yaml" });
    await expectTRPCError(importYaml("rules: !custom x\n"), "BAD_REQUEST", /YAML tags/);
    await expectTRPCError(
      importYaml("rules:\n  - id: a\n    effect: maybe\n    reason: x\n"),
      "BAD_REQUEST",
      /^yaml: The policy is not valid: rules\.0\.effect/,
    );
    await expectTRPCError(
      importYaml("defaultEffect: allow\nextra: 1\n"),
      "BAD_REQUEST",
      /not valid.*extra|extra.*not valid/s,
    );
    await expectTRPCError(
      importYaml("rules:\n  - id: a\n    effect: deny\n    reason: x\n    match:\n      costAbove: -1\n"),
      "BAD_REQUEST",
      /rules\.0\.match\.costAbove/,
    );
    await expectTRPCError(importYaml("approverRole: viewer\n"), "BAD_REQUEST", /approverRole/);
    await expectTRPCError(importYaml("- just\n- a list\n"), "BAD_REQUEST", /not valid/);
    // A valid file from a stale version: CONFLICT, as save.
    await owner.policy.importYaml({ projectId, yaml: "defaultEffect: deny\n", expectedVersion: 0 });
    await expectTRPCError(importYaml("defaultEffect: allow\n", 0), "CONFLICT");
    expect(versionsCount()).toBe(1);
  });
});
