import { apiKeys } from "@tower/db";
import { API_KEY_PREFIX, type AuditEvent } from "@tower/shared";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createContext } from "../core/context";
import type { Credentials } from "../core/deps";
import type { SharedJson } from "../core/shared-json";
import { createCallerFactory } from "../core/trpc";
import { appRouter } from "../root";
import {
  callerWithSignal,
  countAgents,
  createWorld,
  errorShape,
  expectTRPCError,
  reader,
  type World,
} from "../test-fixtures";

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
      scopes: ["manage", "manage"],
    });
    expect(key.secret.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(key.secret.length).toBeGreaterThan(30);
    expect(key.prefix).toBe(key.secret.slice(0, API_KEY_PREFIX.length + 6));
    expect(key.scopes).toEqual(["manage"]);
    const row = deps.db.select().from(apiKeys).where(eq(apiKeys.id, key.id)).get();
    expect(row?.secretHash).not.toBe(key.secret);
    expect(JSON.stringify(sqlite.prepare("select * from api_keys").all())).not.toContain(key.secret);
  });

  it("defaults to the manage scope (an operator), and takes the old `write` as manage", async () => {
    const key = await world.users.admin.caller.apiKey.create({ projectId: world.projectId, name: "default" });
    expect(key.scopes).toEqual(["manage"]);
    expect(await world.as({ apiKey: key.secret }).apiKey.whoami()).toEqual({
      projectId: world.projectId,
      scopes: ["manage"],
      agentNames: null,
    });
    const old = await world.users.admin.caller.apiKey.create({
      projectId: world.projectId,
      name: "old",
      scopes: ["read", "write"],
    });
    expect(old.scopes).toEqual(["read", "manage"]);
  });

  it("an agent key names its agents; only an agent key does", async () => {
    const admin = world.users.admin.caller;
    const key = await admin.apiKey.create({
      projectId: world.projectId,
      name: "scout key",
      scopes: ["agent"],
      agentNames: ["scout", "scout", "scribe"],
    });
    expect(key).toMatchObject({ scopes: ["agent"], agentNames: ["scout", "scribe"] });
    expect((await admin.apiKey.list({ projectId: world.projectId })).find((k) => k.id === key.id)).toMatchObject({
      agentNames: ["scout", "scribe"],
    });
    const create = (input: object) => admin.apiKey.create({ projectId: world.projectId, name: "k", ...input });
    await expectTRPCError(create({ scopes: ["agent"] }), "BAD_REQUEST", /Name the agents this agent key may act as/);
    await expectTRPCError(
      create({ scopes: ["read"], agentNames: ["scout"] }),
      "BAD_REQUEST",
      /Only a key with the agent scope is bound to agents/,
    );
    await expectTRPCError(create({ scopes: ["agent"], agentNames: ["a/b"] }), "BAD_REQUEST", /Use letters, digits/);
    await expectTRPCError(create({ scopes: ["operator"] }), "BAD_REQUEST", /Scopes are agent, read, manage, admin/);
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
      agentNames: null,
      createdAt: key.createdAt,
      lastUsedAt: null,
      revokedAt: null,
      expiresAt: null,
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
    const caller = world.as({ apiKey: world.keys.manage.secret });
    expect(await caller.apiKey.whoami()).toEqual({ projectId: world.projectId, scopes: ["manage"], agentNames: null });
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
    // Beside a signed-in person's cookie (a page using a key), the refused key does not become them.
    const both = world.as({ apiKey: key.secret, sessionToken: users.owner.token });
    await expectTRPCError(both.agent.list({ projectId }), "UNAUTHORIZED", /revoked/);
    expect((await world.as({ apiKey: "tower_not-a-key", sessionToken: users.owner.token }).auth.me()).user).toBeNull();
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

const DAY = 86_400_000;
const iso = (at: number) => new Date(at).toISOString();

describe("API key expiry", () => {
  // A world of its own: these tests move the clock by days.
  let w: World;
  let projectId: string;
  const controllers: AbortController[] = [];
  beforeEach(async () => {
    w = await createWorld();
    projectId = w.projectId;
  });
  afterEach(() => {
    for (const controller of controllers.splice(0)) controller.abort();
    w.close();
  });

  const owner = () => w.users.owner.caller;
  const createExpiring = (expiresInDays: number | null | undefined, name = "expiring") =>
    owner().apiKey.create({ projectId, name, scopes: ["manage"], expiresInDays });
  /** A caller as a WebSocket makes one: resolved once, checked again on every call. */
  const longLived = (credentials: Credentials) =>
    createCallerFactory(appRouter)(createContext(w.deps, credentials, undefined, { longLived: true }));
  const subscribe = (apiKey: string) => {
    const controller = new AbortController();
    controllers.push(controller);
    return callerWithSignal(w.deps, { apiKey }, controller.signal);
  };

  it("is chosen in days at creation, listed, and written to the audit trail", async () => {
    const created = await createExpiring(30);
    expect(created.expiresAt).toBe(created.createdAt + 30 * DAY);
    const forever = await createExpiring(undefined, "forever");
    const explicitNever = await createExpiring(null, "never");
    expect([forever.expiresAt, explicitNever.expiresAt]).toEqual([null, null]);

    const listed = await owner().apiKey.list({ projectId });
    expect(listed.find((k) => k.id === created.id)?.expiresAt).toBe(created.expiresAt);
    expect(listed.find((k) => k.id === forever.id)?.expiresAt).toBeNull();

    const audit = await owner().audit.list({ projectId, operation: "apiKey.create" });
    const details = Object.fromEntries(audit.items.map((row) => [row.target, row.detail]));
    expect(details.expiring).toEqual({
      prefix: created.prefix,
      scopes: ["manage"],
      agentNames: null,
      expiresAt: iso(created.expiresAt!),
    });
    expect(details.forever).toMatchObject({ expiresAt: null });
  });

  it("refuses a bad expiry with a 400 that names the field", async () => {
    for (const expiresInDays of [0, -1, 1.5, 366, Number.NaN, "30" as unknown as number]) {
      const error = await expectTRPCError(createExpiring(expiresInDays), "BAD_REQUEST");
      const shape = errorShape(error);
      expect(shape.data.httpStatus).toBe(400);
      expect(shape.message).toMatch(/^Invalid input: expiresInDays: Expiry must be/);
    }
    expect(errorShape(await expectTRPCError(createExpiring(366), "BAD_REQUEST")).message).toBe(
      "Invalid input: expiresInDays: Expiry must be at most 365 days, or null for no expiry",
    );
    expect((await owner().apiKey.list({ projectId })).map((k) => k.name)).not.toContain("expiring");
  });

  it("a key works until its expiry, then is refused and told when it expired", async () => {
    const key = await createExpiring(7);
    w.clock.advance(7 * DAY - 1);
    expect(await w.as({ apiKey: key.secret }).apiKey.whoami()).toMatchObject({ projectId });
    expect((await w.as({ apiKey: key.secret }).agent.list({})).items.length).toBeGreaterThan(0);

    w.clock.advance(1);
    const expired = w.as({ apiKey: key.secret });
    const message = `This API key expired on ${iso(key.expiresAt!)}; an admin can create a new one in Settings → API keys`;
    await expectTRPCError(expired.agent.list({}), "UNAUTHORIZED", message);
    await expectTRPCError(expired.agent.create({ name: "late", role: "bot" }), "UNAUTHORIZED", message);
    await expectTRPCError(expired.apiKey.whoami(), "UNAUTHORIZED", message);
    // Other keys, and keys that never expire, are unaffected.
    expect(await w.as({ apiKey: w.keys.manage.secret }).apiKey.whoami()).toMatchObject({ projectId });
  });

  it("tells a key that is unknown, revoked or expired what is wrong, and nothing about any project", async () => {
    const revoked = w.keys.revoked;
    const revokedAt = (await owner().apiKey.list({ projectId })).find((k) => k.id === revoked.id)!.revokedAt!;
    const expiring = await createExpiring(1);
    w.clock.advance(DAY);
    const unknown =
      "This API key is unknown: check that it was copied whole, or an admin can create a new one in Settings → API keys";
    const cases: [string, string][] = [
      ["tower_not-a-real-key", unknown],
      ["not even a tower key", unknown],
      [`${expiring.secret}x`, unknown],
      [
        revoked.secret,
        `This API key was revoked on ${iso(revokedAt)}; an admin can create a new one in Settings → API keys`,
      ],
      [
        expiring.secret,
        `This API key expired on ${iso(expiring.expiresAt!)}; an admin can create a new one in Settings → API keys`,
      ],
    ];
    for (const [apiKey, message] of cases) {
      const caller = w.as({ apiKey });
      for (const call of [
        caller.agent.list({}),
        caller.agent.list({ projectId: w.foreignProjectId }),
        caller.apiKey.whoami(),
        caller.audit.onAppend({ projectId, lastEventId: null }),
      ]) {
        const error = await expectTRPCError(call, "UNAUTHORIZED", message);
        for (const secret of [projectId, w.foreignProjectId, "Foreign", "Olivia"])
          expect(error.message).not.toContain(secret);
      }
    }
    // No key at all: still asked to sign in or pass one.
    await expectTRPCError(w.as({}).agent.list({}), "UNAUTHORIZED", "Sign in or pass an API key");
    // A dead key beside a valid session cookie (a page that uses a key, its person signed in) is
    // still refused: the call is the key's, and the page must not act with all of the person's rights.
    const both = w.as({ apiKey: expiring.secret, sessionToken: w.users.viewer.token });
    await expectTRPCError(both.agent.list({ projectId }), "UNAUTHORIZED", /^This API key expired on /);
  });

  it("a long-lived connection is refused once its key expires, as once it is revoked", async () => {
    const expiring = await createExpiring(1);
    const revocable = await createExpiring(null, "revocable");
    const byExpiring = longLived({ apiKey: expiring.secret });
    const byRevocable = longLived({ apiKey: revocable.secret });
    await byExpiring.agent.list({});
    await byRevocable.agent.list({});

    await owner().apiKey.revoke({ projectId, id: revocable.id });
    await expectTRPCError(byRevocable.agent.list({}), "UNAUTHORIZED", /^This API key was revoked on /);

    w.clock.advance(DAY - 1);
    expect(await byExpiring.apiKey.whoami()).toMatchObject({ projectId });
    w.clock.advance(1);
    const message = new RegExp(`^This API key expired on ${iso(expiring.expiresAt!)}`);
    await expectTRPCError(byExpiring.agent.list({}), "UNAUTHORIZED", message);
    await expectTRPCError(byExpiring.agent.create({ name: "late", role: "bot" }), "UNAUTHORIZED", message);
    await expectTRPCError(byExpiring.apiKey.whoami(), "UNAUTHORIZED", message);
  });

  it("ends an open agent stream when its key expires, and only that stream", async () => {
    const expiring = await createExpiring(1);
    // The stream's timer fires 20 ms (real time) before expiry by the clock, then keeps re-reading it.
    w.clock.advance(DAY - 20);
    const byExpiring = reader(await subscribe(expiring.secret).agent.onChange({ lastEventId: null }));
    const byOther = reader(await subscribe(w.keys.read.secret).agent.onChange({ lastEventId: null }));
    // Both are listening (a subscription starts on its first read) before anything changes.
    expect([await byExpiring.nextOrTimeout(0), await byOther.nextOrTimeout(0)]).toEqual(["timeout", "timeout"]);
    const first = await owner().agent.create({ projectId, name: "before-expiry", role: "coder" });
    expect((await byExpiring.next()).data.data).toMatchObject({ id: first.id });
    expect((await byOther.next()).data.data).toMatchObject({ id: first.id });

    w.clock.advance(20);
    await expect(byExpiring.next()).rejects.toThrow("subscription ended");
    const second = await owner().agent.create({ projectId, name: "after-expiry", role: "coder" });
    expect((await byOther.next()).data.data).toMatchObject({ id: second.id });
    // A stream opened with the expired key is refused outright.
    await expectTRPCError(
      subscribe(expiring.secret).agent.onChange({ lastEventId: null }),
      "UNAUTHORIZED",
      /expired on/,
    );
  });

  it("ends an open audit tail when its key expires", async () => {
    const expiring = await createExpiring(1);
    w.clock.advance(DAY - 20);
    const tail = reader<SharedJson<AuditEvent[]>>(
      await subscribe(expiring.secret).audit.onAppend({ projectId, lastEventId: null }),
    );
    tail.open();
    await owner().agent.create({ projectId, name: "audited", role: "coder" });
    expect((await tail.next()).data.value.map((row) => row.operation)).toContain("agent.create");
    w.clock.advance(20);
    await expect(tail.next()).rejects.toThrow("subscription ended");
  });

  it("a key past expiry can still be revoked, and stays listed with its expiry", async () => {
    const key = await createExpiring(7);
    w.clock.advance(8 * DAY);
    await owner().apiKey.revoke({ projectId, id: key.id });
    const listed = (await owner().apiKey.list({ projectId })).find((k) => k.id === key.id);
    expect(listed).toMatchObject({ expiresAt: key.expiresAt, revokedAt: w.clock.now() });
  });
});
