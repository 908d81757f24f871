import { apiKeys } from "@tower/db";
import { API_KEY_PREFIX } from "@tower/shared";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countAgents, createWorld, expectTRPCError, type World } from "../test-fixtures";

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world.close());

describe("API keys", () => {
  it("create returns the secret once; only its hash is stored", async () => {
    const { projectId, users, deps, sqlite } = world;
    const key = await users.owner.caller.apiKey.create({
      projectId,
      name: "ci",
      scopes: ["write", "write"],
    });
    expect(key.secret.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(key.secret.length).toBeGreaterThan(30);
    expect(key.prefix).toBe(key.secret.slice(0, API_KEY_PREFIX.length + 6));
    expect(key.scopes).toEqual(["write"]);
    const row = deps.db.select().from(apiKeys).where(eq(apiKeys.id, key.id)).get();
    expect(row?.secretHash).not.toBe(key.secret);
    expect(JSON.stringify(sqlite.prepare("select * from api_keys").all())).not.toContain(key.secret);
  });

  it("defaults to read and write scopes", async () => {
    const key = await world.users.admin.caller.apiKey.create({
      projectId: world.projectId,
      name: "both",
    });
    expect([...key.scopes].sort()).toEqual(["read", "write"]);
    expect(await world.as({ apiKey: key.secret }).apiKey.whoami()).toEqual({
      projectId: world.projectId,
      scopes: key.scopes,
    });
  });

  it("list never contains the secret or its hash, only the prefix", async () => {
    const { projectId, users, deps } = world;
    const key = await users.owner.caller.apiKey.create({
      projectId,
      name: "listed",
      scopes: ["read"],
    });
    const hash = deps.db.select({ h: apiKeys.secretHash }).from(apiKeys).where(eq(apiKeys.id, key.id)).get()!.h;
    const list = await users.admin.caller.apiKey.list({ projectId });
    const listed = list.find((k) => k.id === key.id);
    expect(listed).toEqual({
      id: key.id,
      name: "listed",
      prefix: key.prefix,
      scopes: ["read"],
      createdAt: key.createdAt,
      lastUsedAt: null,
      revokedAt: null,
    });
    const text = JSON.stringify(list);
    expect(text).not.toContain(key.secret);
    expect(text).not.toContain(hash);
    expect(list.every((k) => !("secret" in k) && !("secretHash" in k))).toBe(true);
    // Keys of another project are not listed.
    const foreignKey = await users.foreignOwner.caller.apiKey.create({
      projectId: world.foreignProjectId,
      name: "theirs",
    });
    expect((await users.owner.caller.apiKey.list({ projectId })).map((k) => k.id)).not.toContain(foreignKey.id);
  });

  it("a key authenticates as its project with its scopes", async () => {
    const caller = world.as({ apiKey: world.keys.write.secret });
    expect(await caller.apiKey.whoami()).toEqual({ projectId: world.projectId, scopes: ["write"] });
    // The key implies its project; projectId may be left out.
    const page = await caller.agent.list({});
    expect(page.items.map((a) => a.name)).toContain("home-agent");
    const created = await caller.agent.create({ name: "from-key", role: "bot" });
    expect(created.projectId).toBe(world.projectId);
  });

  it("whoami needs an API key", async () => {
    await expectTRPCError(world.users.owner.caller.apiKey.whoami(), "UNAUTHORIZED");
    await expectTRPCError(world.as({}).apiKey.whoami(), "UNAUTHORIZED");
    await expectTRPCError(world.as({ apiKey: "tower_not-a-real-key" }).apiKey.whoami(), "UNAUTHORIZED");
  });

  it("a revoked key is anonymous", async () => {
    const { projectId, users } = world;
    const key = await users.owner.caller.apiKey.create({ projectId, name: "short-lived" });
    await world.as({ apiKey: key.secret }).agent.list({});
    await users.admin.caller.apiKey.revoke({ projectId, id: key.id });
    const revoked = world.as({ apiKey: key.secret });
    await expectTRPCError(revoked.agent.list({}), "UNAUTHORIZED");
    await expectTRPCError(revoked.apiKey.whoami(), "UNAUTHORIZED");
    const listed = (await users.owner.caller.apiKey.list({ projectId })).find((k) => k.id === key.id);
    expect(listed?.revokedAt).toBe(world.clock.now());
    await expectTRPCError(users.owner.caller.apiKey.revoke({ projectId, id: key.id }), "NOT_FOUND");
  });

  it("cannot revoke another project's key", async () => {
    const foreignKey = await world.users.foreignOwner.caller.apiKey.create({
      projectId: world.foreignProjectId,
      name: "safe",
    });
    await expectTRPCError(
      world.users.owner.caller.apiKey.revoke({ projectId: world.projectId, id: foreignKey.id }),
      "NOT_FOUND",
    );
    expect(await world.as({ apiKey: foreignKey.secret }).apiKey.whoami()).toMatchObject({
      projectId: world.foreignProjectId,
    });
  });

  it("a read-only key can list but not create agents", async () => {
    const caller = world.as({ apiKey: world.keys.read.secret });
    const before = countAgents(world.deps, world.projectId);
    expect((await caller.agent.list({ projectId: world.projectId })).items.length).toBe(before);
    await expectTRPCError(caller.agent.create({ projectId: world.projectId, name: "nope", role: "bot" }), "FORBIDDEN");
    expect(countAgents(world.deps, world.projectId)).toBe(before);
  });

  it("lastUsedAt is set on use and refreshed at most once a minute", async () => {
    const { projectId, users, clock } = world;
    const key = await users.owner.caller.apiKey.create({ projectId, name: "tracked" });
    const lastUsed = async () =>
      (await users.owner.caller.apiKey.list({ projectId })).find((k) => k.id === key.id)?.lastUsedAt;
    expect(await lastUsed()).toBeNull();

    const firstUse = clock.now();
    await world.as({ apiKey: key.secret }).apiKey.whoami();
    expect(await lastUsed()).toBe(firstUse);

    clock.advance(30_000);
    await world.as({ apiKey: key.secret }).apiKey.whoami();
    expect(await lastUsed()).toBe(firstUse);

    clock.advance(31_000);
    await world.as({ apiKey: key.secret }).apiKey.whoami();
    expect(await lastUsed()).toBe(clock.now());
  });

  it("rejects a key without a name or scopes", async () => {
    const { projectId, users } = world;
    await expectTRPCError(users.owner.caller.apiKey.create({ projectId, name: "", scopes: ["read"] }), "BAD_REQUEST");
    await expectTRPCError(users.owner.caller.apiKey.create({ projectId, name: "none", scopes: [] }), "BAD_REQUEST");
  });
});
