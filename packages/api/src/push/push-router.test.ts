import { createECDH, randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorld, errorShape, expectTRPCError, type World } from "../test-fixtures";
import { MAX_DEVICES_PER_USER } from "./push-service";

let world: World;
beforeEach(async () => {
  world = await createWorld();
});
afterEach(() => world.close());

/** A subscription as a browser's `PushSubscription.toJSON()` gives it. */
function subscription(host = "fcm.googleapis.com") {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return {
    endpoint: `https://${host}/send/${randomBytes(16).toString("base64url")}`,
    expirationTime: null,
    keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: randomBytes(16).toString("base64url") },
  };
}

const rows = () =>
  world.sqlite.prepare("select user_id, endpoint, device_label from push_subscriptions order by rowid").all() as {
    user_id: string;
    endpoint: string;
    device_label: string;
  }[];

describe("push subscriptions", () => {
  it("stores a browser's subscription with all kinds on, labelled from the user agent; upserts by endpoint", async () => {
    const browser = world.as({
      sessionToken: world.users.operator.token,
      userAgent:
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
    });
    const sub = subscription();
    const device = await browser.push.subscribe(sub);
    expect(device).toMatchObject({
      deviceLabel: "Chrome on Android",
      service: "fcm.googleapis.com",
      preferences: { approvals: true, budget: true, agentErrors: true },
      lastUsedAt: null,
      current: true,
    });
    expect(device).not.toHaveProperty("endpoint");
    // Subscribing again (every visit does) keeps the device and its id.
    const again = await browser.push.subscribe({ ...sub, preferences: { budget: false } });
    expect(again).toMatchObject({ id: device.id, preferences: { approvals: true, budget: false, agentErrors: true } });
    expect(rows()).toHaveLength(1);
    const listed = await browser.push.list({ currentEndpoint: sub.endpoint });
    expect(listed.items).toEqual([{ ...again, current: true }]);
    expect((await browser.push.list()).items[0]?.current).toBe(false);
  });

  it("refuses endpoints that are not https: URLs of bounded length and keys of the wrong size, naming the field", async () => {
    const caller = world.users.viewer.caller;
    const sub = subscription();
    const refused = async (input: unknown, field: string, message: RegExp) => {
      const shape = errorShape(await expectTRPCError(caller.push.subscribe(input as never), "BAD_REQUEST"));
      expect(shape.message).toMatch(message);
      expect(Object.keys(shape.data.zodError?.fieldErrors ?? {})).toContain(field);
    };
    await refused({ ...sub, endpoint: "http://fcm.googleapis.com/send/x" }, "endpoint", /endpoint.*https: URL/);
    await refused({ ...sub, endpoint: "not a url" }, "endpoint", /endpoint/);
    await refused({ ...sub, endpoint: `https://fcm.googleapis.com/${"x".repeat(2_100)}` }, "endpoint", /2048/);
    await refused({ ...sub, keys: { ...sub.keys, p256dh: sub.keys.p256dh.slice(0, 40) } }, "keys", /p256dh.*65 bytes/);
    await refused({ ...sub, keys: { ...sub.keys, p256dh: `A${sub.keys.p256dh.slice(1)}` } }, "keys", /p256dh.*0x04/);
    await refused({ ...sub, keys: { ...sub.keys, auth: "abc" } }, "keys", /auth.*16 bytes/);
    await refused({ ...sub, keys: { ...sub.keys, auth: "!!!!!!!!!!!!!!!!!!!!!!" } }, "keys", /auth/);
    expect(rows()).toEqual([]);
  });

  it("refuses an endpoint that is no browser's push service, and a key that is no P-256 point, naming the field", async () => {
    const caller = world.users.viewer.caller;
    const sub = subscription();
    const refused = async (input: unknown, field: string, message: RegExp) => {
      const shape = errorShape(await expectTRPCError(caller.push.subscribe(input as never), "BAD_REQUEST"));
      expect(shape.message).toMatch(message);
      expect(shape.data.field).toBe(field);
    };
    // Whoever subscribes names the endpoint: anything else would have the server connect where they say.
    for (const endpoint of [
      "https://169.254.169.254/latest/meta-data",
      "https://127.0.0.1:4399/x",
      "https://localhost/x",
      "https://intranet.example.com/push",
      "https://fcm.googleapis.com.attacker.example/x",
    ]) {
      await refused({ ...sub, endpoint }, "endpoint", /is not a push service Tower sends to .*TOWER_PUSH_SERVICES/);
    }
    await refused({ ...sub, keys: { ...sub.keys, p256dh: `B${"A".repeat(86)}` } }, "keys.p256dh", /no point on the curve/);
    expect(rows()).toEqual([]);
    for (const endpoint of [
      "https://fcm.googleapis.com/fcm/send/abc",
      "https://updates.push.services.mozilla.com/wpush/v2/abc",
      "https://web.push.apple.com/abc",
      "https://wns2-par02p.notify.windows.com/w/?token=abc",
    ]) {
      await caller.push.subscribe({ ...sub, endpoint });
    }
    expect(rows()).toHaveLength(4);
  });

  it("isolates people: one never sees, changes, tests or removes another's devices", async () => {
    const alice = world.users.operator.caller;
    const bob = world.users.viewer.caller;
    const device = await alice.push.subscribe(subscription());
    expect((await bob.push.list()).items).toEqual([]);
    await expectTRPCError(bob.push.update({ id: device.id, preferences: { approvals: false } }), "NOT_FOUND");
    await expectTRPCError(bob.push.remove({ id: device.id }), "NOT_FOUND");
    await expectTRPCError(bob.push.test({ id: device.id }), "NOT_FOUND");
    expect((await alice.push.list()).items).toEqual([{ ...device, current: false }]);
    expect(await alice.push.update({ id: device.id, preferences: { approvals: false } })).toMatchObject({
      preferences: { approvals: false, budget: true, agentErrors: true },
    });
    expect(await alice.push.remove({ id: device.id })).toEqual({ ok: true });
    expect((await alice.push.list()).items).toEqual([]);
  });

  it("moves an endpoint to whoever subscribes it last, as a new device with nothing carried over", async () => {
    const sub = subscription();
    const first = await world.users.operator.caller.push.subscribe({ ...sub, preferences: { budget: false } });
    const second = await world.users.viewer.caller.push.subscribe(sub);
    expect(second.id).not.toBe(first.id);
    expect(second.preferences).toEqual({ approvals: true, budget: true, agentErrors: true });
    expect((await world.users.operator.caller.push.list()).items).toEqual([]);
    expect(rows()).toEqual([expect.objectContaining({ user_id: world.users.viewer.user.id })]);
  });

  it("is for people only: API keys and anonymous callers are refused every procedure", async () => {
    const device = await world.users.owner.caller.push.subscribe(subscription());
    for (const credentials of [{ apiKey: world.keys.admin.secret }, { apiKey: world.keys.agent.secret }, {}]) {
      const caller = world.as(credentials);
      await expectTRPCError(caller.push.config(), "UNAUTHORIZED");
      await expectTRPCError(caller.push.subscribe(subscription()), "UNAUTHORIZED");
      await expectTRPCError(caller.push.list(), "UNAUTHORIZED");
      await expectTRPCError(caller.push.update({ id: device.id, deviceLabel: "x" }), "UNAUTHORIZED");
      await expectTRPCError(caller.push.remove({ id: device.id }), "UNAUTHORIZED");
      await expectTRPCError(caller.push.test({ id: device.id }), "UNAUTHORIZED");
    }
    expect(rows()).toHaveLength(1);
  });

  it("audits subscribing and removing in each of the person's projects, without the endpoint", async () => {
    const owner = world.users.owner.caller;
    const sub = subscription();
    const device = await owner.push.subscribe({ ...sub, deviceLabel: "Desk" });
    await owner.push.subscribe(sub); // a refresh is not news
    await owner.push.remove({ id: device.id });
    const audit = world.sqlite
      .prepare(
        "select project_id, operation, target, detail from audit_events where operation like 'push.%' order by id",
      )
      .all() as { project_id: string; operation: string; target: string; detail: string }[];
    expect(audit.filter((row) => row.project_id === world.projectId).map((row) => row.operation)).toEqual([
      "push.subscribe",
      "push.remove",
    ]);
    expect(audit.filter((row) => row.project_id === world.lobbyProjectId)).toHaveLength(2);
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({
      deviceId: device.id,
      device: "Desk",
      service: "fcm.googleapis.com",
    });
    expect(audit.every((row) => !row.detail.includes(sub.endpoint) && !row.detail.includes(sub.keys.auth))).toBe(true);
  });

  it(`holds at most ${MAX_DEVICES_PER_USER} devices per person`, async () => {
    const viewer = world.users.viewer.caller;
    for (let i = 0; i < MAX_DEVICES_PER_USER; i++) await viewer.push.subscribe(subscription());
    await expectTRPCError(viewer.push.subscribe(subscription()), "CONFLICT", /remove one/);
  });

  it("says push is off, and why, when the server has no sender; a test push is refused", async () => {
    const owner = world.users.owner.caller;
    expect(await owner.push.config()).toEqual({
      enabled: false,
      publicKey: null,
      reason: "Web push is not set up on this server",
    });
    const device = await owner.push.subscribe(subscription());
    await expectTRPCError(owner.push.test({ id: device.id }), "BAD_REQUEST", /Notifications are off/);
  });
});
