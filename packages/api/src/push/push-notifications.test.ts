/**
 * Notifications end to end: real changes (an approval asked, a budget crossed, an agent in error)
 * reach a loopback HTTPS push service that checks the VAPID signature and headers and decrypts the
 * payload as a browser would.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findAgent, writeAgentTx } from "../agents/agent-writes";
import { publishChanges } from "../core/change-feed";
import { createWorld, type TestCaller, type World } from "../test-fixtures";
import { startTestPushService, type TestBrowser, type TestPushService } from "./test-push-service";
import { generateVapidKeys } from "./web-push-sender";

const SUBJECT = "mailto:ops@example.com";
const TTL_SECONDS = 60;
const TOPIC = /^[A-Za-z0-9_-]{1,32}$/;

let world: World;
let service: TestPushService;
let vapidPublicKey: string;

beforeEach(async () => {
  const vapid = generateVapidKeys();
  vapidPublicKey = vapid.publicKey;
  service = await startTestPushService({ vapidPublicKey, subject: SUBJECT });
  world = await createWorld({ push: { vapid, subject: SUBJECT, agent: service.agent, services: service.services, retryDelayMs: 10 }, });
  await world.users.owner.caller.policy.save({
    projectId: world.projectId,
    expectedVersion: 0,
    document: {
      rules: [
        {
          id: "ask-shell",
          match: { tools: ["Bash"] },
          effect: "require_approval",
          reason: "A person approves shell commands",
          ttlSeconds: TTL_SECONDS,
        },
      ],
    },
  });
});
afterEach(async () => {
  world.close();
  await service.close();
});

/** Lets the notifier run (it sends after the publish) and every push finish, with its outcome recorded. */
async function settle() {
  await new Promise((resolve) => setImmediate(resolve));
  await world.deps.push!.idle();
  await new Promise((resolve) => setImmediate(resolve));
}

async function subscribed(caller: TestCaller, preferences: Record<string, boolean> = {}): Promise<TestBrowser> {
  const browser = service.browser();
  await caller.push.subscribe({ ...browser.subscription, preferences });
  return browser;
}

const ask = (command: string) =>
  world
    .as({ apiKey: world.keys.agent.secret })
    .policy.check({ agent: "home-agent", tool: "Bash", path: "deploy/prod.sh", input: { command } });

const subscriptionCount = () => world.sqlite.prepare("select count(*) from push_subscriptions").pluck().get() as number;

describe("push notifications", () => {
  it("config gives the VAPID public key browsers subscribe with", async () => {
    expect(await world.users.viewer.caller.push.config()).toEqual({
      enabled: true,
      publicKey: vapidPublicKey,
      reason: null,
    });
  });

  it("an approval waiting goes to approvers who want approvals: signed, encrypted, complete", async () => {
    const operator = await subscribed(world.users.operator.caller);
    const viewer = await subscribed(world.users.viewer.caller); // below the approver role
    const owner = await subscribed(world.users.owner.caller, { approvals: false });
    const outsider = await subscribed(world.users.outsider.caller);

    const decision = await ask("./deploy");
    await settle();
    expect(service.problems).toEqual([]);
    const [push, ...more] = service.to(operator);
    expect(more).toEqual([]);
    expect(service.to(viewer)).toEqual([]);
    expect(service.to(owner)).toEqual([]);
    expect(service.to(outsider)).toEqual([]);
    expect(push!.claims).toMatchObject({ aud: service.origin, sub: SUBJECT });
    expect(push!.headers).toEqual({ ttl: TTL_SECONDS, urgency: "high", topic: expect.stringMatching(TOPIC) });
    expect(push!.payload).toEqual({
      kind: "approval",
      title: "home-agent asks to use Bash",
      body: "deploy/prod.sh: A person approves shell commands",
      url: `/approve/${decision.approvalId}?project=${world.projectId}`,
      tag: push!.headers.topic,
      approvalId: decision.approvalId,
      projectId: world.projectId,
      expiresAt: decision.expiresAt,
    });
    const [device] = (await world.users.operator.caller.push.list()).items;
    expect(device?.lastUsedAt).toBe(world.clock.now());

    // Asked again, it is the same approval: nothing is sent again. Decided, nothing more is sent.
    await ask("./deploy");
    await world.users.operator.caller.approval.decide({
      projectId: world.projectId,
      id: decision.approvalId!,
      decision: "approve",
    });
    await settle();
    expect(service.to(operator)).toHaveLength(1);

    // Each approval has its own topic; the TTL is what is left of its lifetime.
    world.clock.advance(1_000);
    await ask("./deploy --again");
    await settle();
    const second = service.to(operator)[1]!;
    expect(second.headers.topic).not.toBe(push!.headers.topic);
    expect(second.headers.ttl).toBe(TTL_SECONDS);
  });

  it("follows the policy's approver role", async () => {
    const operator = await subscribed(world.users.operator.caller);
    const admin = await subscribed(world.users.admin.caller);
    const owner = world.users.owner.caller;
    const policy = await owner.policy.get({ projectId: world.projectId });
    await owner.policy.save({
      projectId: world.projectId,
      expectedVersion: policy.version,
      document: { ...policy.document, approverRole: "admin" },
    });
    await ask("rm -rf build");
    await settle();
    expect(service.to(operator)).toEqual([]);
    expect(service.to(admin)).toHaveLength(1);
  });

  it("a push service answering 410 removes the subscription; nothing is sent to it again", async () => {
    const gone = await subscribed(world.users.operator.caller);
    const kept = await subscribed(world.users.admin.caller);
    service.answer(gone, 410);
    await ask("first");
    await settle();
    expect(service.to(gone)).toHaveLength(1);
    expect(service.to(kept)).toHaveLength(1);
    expect(subscriptionCount()).toBe(1);
    expect((await world.users.operator.caller.push.list()).items).toEqual([]);
    await ask("second");
    await settle();
    expect(service.to(gone)).toHaveLength(1);
    expect(service.to(kept)).toHaveLength(2);
  });

  it("push.test sends a test notification to one own device and says what the service answered", async () => {
    const browser = await subscribed(world.users.viewer.caller);
    const [device] = (await world.users.viewer.caller.push.list()).items;
    expect(await world.users.viewer.caller.push.test({ id: device!.id })).toEqual({
      outcome: "sent",
      statusCode: 201,
      removed: false,
    });
    expect(service.to(browser)[0]!.payload).toMatchObject({
      kind: "test",
      title: "Tower notifications work",
      url: "/settings",
    });
    service.answer(browser, 404);
    expect(await world.users.viewer.caller.push.test({ id: device!.id })).toEqual({
      outcome: "gone",
      statusCode: 404,
      removed: true,
    });
    expect(subscriptionCount()).toBe(0);
    expect(service.problems).toEqual([]);
  });

  it("an agent at 100 % of its budget notifies members who want budget alerts, once", async () => {
    const viewer = await subscribed(world.users.viewer.caller);
    const operator = await subscribed(world.users.operator.caller, { budget: false });
    const outsider = await subscribed(world.users.outsider.caller);
    const { projectId, homeAgent } = world;
    await world.users.owner.caller.agent.update({ projectId, id: homeAgent.id, patch: { budgetCostUsdPerDay: 1 } });
    const spend = async (id: string, costUsd: number) => {
      const result = await world.as({ apiKey: world.keys.agent.secret }).ingest.report({
        projectId,
        items: [{ kind: "metric", id, agent: "home-agent", type: "cost", success: true, costUsd }],
      });
      expect(result).toMatchObject({ stored: 1 });
    };
    await spend("metric-1", 0.85); // the 80 % alert: no push
    await settle();
    expect(service.received).toEqual([]);
    await spend("metric-2", 0.3); // 115 %: the 90 and 100 % alerts
    await spend("metric-3", 0.1);
    await settle();
    expect(service.problems).toEqual([]);
    expect(service.to(operator)).toEqual([]);
    expect(service.to(outsider)).toEqual([]);
    const [push, ...more] = service.to(viewer);
    expect(more).toEqual([]);
    expect(push!.headers).toEqual({ ttl: 3_600, urgency: "high", topic: expect.stringMatching(TOPIC) });
    expect(push!.payload).toEqual({
      kind: "budget",
      title: "home-agent used its daily cost budget",
      body: expect.stringMatching(/^\$1\.15 of \$1\.00 today \(UTC\) in /),
      url: `/agents/${homeAgent.id}?project=${projectId}`,
      tag: push!.headers.topic,
      agentId: homeAgent.id,
      projectId,
    });
  });

  it("an agent turning to error notifies members who want agent errors, once per turn", async () => {
    const viewer = await subscribed(world.users.viewer.caller);
    const owner = await subscribed(world.users.owner.caller, { agentErrors: false });
    const { deps } = world;
    const write = (changes: Parameters<typeof writeAgentTx>[3]) => {
      const event = deps.db.transaction((tx) => {
        const row = findAgent(deps.state, tx, world.projectId, world.homeAgent.id)!;
        return writeAgentTx(deps.state, tx, row, changes, deps.clock.now()).event;
      });
      publishChanges(deps, [event]);
    };
    write({ status: "error" });
    write({ lastActiveAt: deps.clock.now() + 1_000 }); // still in error: no news
    await settle();
    expect(service.to(owner)).toEqual([]);
    expect(service.to(viewer).map((push) => push.payload)).toEqual([
      expect.objectContaining({
        kind: "agentError",
        title: "home-agent is in error",
        url: `/agents/${world.homeAgent.id}?project=${world.projectId}`,
        agentId: world.homeAgent.id,
      }),
    ]);
    write({ status: "idle" });
    write({ status: "error" });
    await settle();
    expect(service.to(viewer)).toHaveLength(2);
    expect(service.to(viewer)[1]!.headers).toMatchObject({
      ttl: 3_600,
      urgency: "high",
      topic: service.to(viewer)[0]!.headers.topic,
    });
  });
});
