// The SDK asks before acting: agent.authorize(), waiting for a person over the live WebSocket
// (resuming after a reconnect), agent.waitForApproval() and agent.guard(), against the real server.
// Everything that keeps a yes from arriving must answer "denied" (fail closed).
import { createTowerClient, PolicyDeniedError, type AgentHandle, type TowerClient } from "@tower/sdk";
import { DEFAULT_POLICY } from "@tower/shared";
import NodeWebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, waitFor, type TestServer } from "./harness";

let tower: TestServer;
let client: TowerClient;
let agent: AgentHandle;
const sockets: NodeWebSocket[] = [];
class Recording extends NodeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    sockets.push(this);
  }
}

beforeAll(async () => {
  tower = await startTestServer();
  await tower.owner.policy.save({
    projectId: tower.projectId,
    expectedVersion: 0,
    document: {
      ...DEFAULT_POLICY,
      rules: [
        { id: "no-rm", description: "", match: { tools: ["rm"] }, effect: "deny", reason: "Nothing is deleted here" },
        {
          id: "quick-deploys",
          description: "",
          match: { tools: ["deploy.quick"] },
          effect: "require_approval",
          reason: "Say yes within ten seconds",
          ttlSeconds: 10,
        },
        {
          id: "approve-deploys",
          description: "",
          match: { tools: ["deploy"] },
          effect: "require_approval",
          reason: "Deploys need a person's yes",
        },
      ],
    },
  });
  client = createTowerClient({
    url: tower.url,
    apiKey: tower.apiKey,
    WebSocket: Recording as unknown as typeof globalThis.WebSocket,
    retryDelayMs: () => 50,
  });
  agent = client.agent("deployer", {
    profile: { role: "ops", allowedTools: ["read", "rm", "deploy", "deploy.quick"] },
  });
  await agent.start();
}, 30_000);

afterAll(async () => {
  await client.shutdown();
  await tower.stop();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const decide = (id: string, decision: "approve" | "deny", comment = "") =>
  tower.owner.approval.decide({ projectId: tower.projectId, id, decision, comment });
const approval = (id: string) => tower.owner.approval.byId({ projectId: tower.projectId, id });
/** A deploy nobody asked about before (each test its own, so approvals never mix). */
let deploys = 0;
const newDeploy = () => ({ tool: "deploy", input: { ref: `v${++deploys}` } });
const pending = async () => (await tower.owner.approval.list({ projectId: tower.projectId, status: "pending" })).items;

describe("agent.authorize", () => {
  it("answers allowed and denied with what decided, for this agent and session", async () => {
    const allowed = await agent.authorize({ tool: "read", path: "README.md" });
    expect(allowed).toMatchObject({ decision: "allowed", source: "default", policyVersion: 1, approvalId: null });

    const byRule = await agent.authorize({ tool: "rm", path: "src/index.ts" });
    expect(byRule).toMatchObject({
      decision: "denied",
      source: "rule",
      ruleId: "no-rm",
      reason: "Nothing is deleted here",
    });

    const byCheck = await agent.authorize({ tool: "shell" });
    expect(byCheck).toMatchObject({ decision: "denied", source: "check", check: "tool_not_allowed" });

    // Each decision is an audit row of this agent's session (written by the ingest writer, soon after).
    const checks = async () =>
      (
        await tower.owner.audit.list({
          projectId: tower.projectId,
          operation: "policy.check",
          sessionId: agent.session!.id,
        })
      ).items;
    for (let tries = 0; (await checks()).length < 3 && tries < 100; tries++) await pause(20);
    expect((await checks()).map((row) => [row.target, row.decision])).toEqual(
      expect.arrayContaining([
        ["read", "allowed"],
        ["rm", "denied"],
        ["shell", "denied"],
      ]),
    );
  });

  it("without wait, answers requires_approval with the approval; asking again finds the same one", async () => {
    const request = newDeploy();
    const first = await agent.authorize(request);
    expect(first).toMatchObject({ decision: "requires_approval", source: "rule", ruleId: "approve-deploys" });
    expect(first.approvalId).toEqual(expect.any(String));
    expect(first.expiresAt).toBeGreaterThan(Date.now());
    expect((await agent.authorize(request)).approvalId).toBe(first.approvalId);
    expect(await approval(first.approvalId!)).toMatchObject({
      status: "pending",
      agentName: "deployer",
      tool: "deploy",
    });
  });

  it("with wait, resolves allowed when a person approves from the dashboard, and uses the approval", async () => {
    const request = newDeploy();
    const asked = await agent.authorize(request);
    const waiting = agent.authorize(request, { wait: true });
    await pause(300); // the wait is live before the person decides
    await decide(asked.approvalId!, "approve", "go ahead");
    const decision = await waiting;
    expect(decision).toMatchObject({
      decision: "allowed",
      source: "approval",
      approvalId: asked.approvalId,
      reason: expect.stringMatching(/^Approved by .+: go ahead$/),
    });
    // One approval allows one action: the same request asks again.
    const again = await agent.authorize(request);
    expect(again.decision).toBe("requires_approval");
    expect(again.approvalId).not.toBe(asked.approvalId);
  });

  it("dozens of waits at once each hear their answer (past the socket's share, over HTTP)", async () => {
    // 90 of the 100 approvals an agent may have waiting at once: the earlier tests' are withdrawn.
    for (let page = await pending(); page.length > 0; page = await pending()) {
      for (const { id } of page) await tower.owner.approval.cancel({ projectId: tower.projectId, id });
    }
    const asked = await Promise.all(Array.from({ length: 90 }, () => agent.authorize(newDeploy())));
    // By id, so that each waits on the approval decided below (a wait that asks first could ask after
    // its approval was denied, and wait on a new one).
    const waiting = asked.map(({ approvalId }) => agent.waitForApproval(approvalId!, { timeoutMs: 60_000 }));
    await Promise.all(asked.map(({ approvalId }, i) => decide(approvalId!, i % 2 === 0 ? "approve" : "deny")));
    const decisions = await Promise.all(waiting);
    expect(decisions.map((d) => d.decision)).toEqual(asked.map((_, i) => (i % 2 === 0 ? "allowed" : "denied")));
    expect(decisions.filter((d) => d.source === "sdk")).toEqual([]);
  }, 90_000);

  it("with wait, a person's no is denied with their reason", async () => {
    const request = newDeploy();
    const asked = await agent.authorize(request);
    const waiting = agent.authorize(request, { wait: true });
    await pause(200);
    await decide(asked.approvalId!, "deny", "not on a Friday");
    expect(await waiting).toMatchObject({
      decision: "denied",
      source: "approval",
      approvalId: asked.approvalId,
      reason: expect.stringMatching(/^Denied by .+: not on a Friday$/),
    });
  });

  it("keeps waiting across a dropped WebSocket and hears the approval given meanwhile", async () => {
    const request = newDeploy();
    const asked = await agent.authorize(request);
    const waiting = agent.authorize(request, { wait: true, timeoutMs: 20_000 });
    await waitFor(() => sockets.some((s) => s.readyState === NodeWebSocket.OPEN), "the live connection");
    await pause(200);
    const before = sockets.length;
    for (const socket of sockets) socket.terminate();
    await decide(asked.approvalId!, "approve");
    await waitFor(() => sockets.length > before, "a reconnect");
    expect(await waiting).toMatchObject({ decision: "allowed", source: "approval", approvalId: asked.approvalId });
  });

  it("is denied when the approval expires before anyone decides", async () => {
    const started = Date.now();
    const decision = await agent.authorize({ tool: "deploy.quick" }, { wait: true });
    expect(decision).toMatchObject({ decision: "denied", source: "approval", ruleId: "quick-deploys" });
    expect(decision.reason).toMatch(/expired/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
    expect((await approval(decision.approvalId!)).status).toBe("expired");
  }, 30_000);

  it("fails closed on timeoutMs: denied by the SDK, the approval stays open to resume", async () => {
    const request = newDeploy();
    const started = Date.now();
    const decision = await agent.authorize(request, { wait: true, timeoutMs: 400 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(decision).toMatchObject({ decision: "denied", source: "sdk", ruleId: "approve-deploys" });
    expect(decision.reason).toMatch(/within 400 ms.*fails closed/);
    expect((await approval(decision.approvalId!)).status).toBe("pending");

    // A restarted process asks the same again: it finds the same approval and waits for it.
    const restarted = createTowerClient({ url: tower.url, apiKey: tower.apiKey });
    try {
      const waiting = restarted.agent("deployer").authorize(request, { wait: true });
      await pause(300);
      await decide(decision.approvalId!, "approve");
      expect(await waiting).toMatchObject({ decision: "allowed", approvalId: decision.approvalId });
    } finally {
      restarted.close();
    }
  });

  it("fails closed when the server is gone: at once when it cannot be asked, at the deadline while waiting", async () => {
    const nowhere = createTowerClient({ url: "http://127.0.0.1:9", apiKey: tower.apiKey });
    try {
      const unreachable = await nowhere.agent("deployer").authorize({ tool: "read" }, { wait: true });
      expect(unreachable).toMatchObject({ decision: "denied", source: "sdk" });
      expect(unreachable.reason).toMatch(/Tower could not be asked/);
    } finally {
      nowhere.close();
    }

    const request = newDeploy();
    const asked = await agent.authorize(request);
    const waiting = agent.authorize(request, { wait: true, timeoutMs: 1_500 });
    await pause(300);
    await tower.pause();
    try {
      const decision = await waiting;
      expect(decision).toMatchObject({ decision: "denied", source: "sdk", approvalId: asked.approvalId });
      expect(decision.reason).toMatch(/could not be reached/);
    } finally {
      await tower.resume();
    }
  });

  it("is denied, saying so, when the agent's key is revoked while it waits", async () => {
    const key = await tower.owner.apiKey.create({
      projectId: tower.projectId,
      name: "revoked mid-wait",
      scopes: ["manage"],
    });
    const own = createTowerClient({ url: tower.url, apiKey: key.secret, WebSocket: Recording as never });
    try {
      const waiter = own.agent("deployer");
      const request = newDeploy();
      const asked = await waiter.authorize(request);
      const waiting = waiter.authorize(request, { wait: true, timeoutMs: 10_000 });
      await pause(300);
      await tower.owner.apiKey.revoke({ projectId: tower.projectId, id: key.id });
      const decision = await waiting;
      expect(decision).toMatchObject({ decision: "denied", source: "sdk", approvalId: asked.approvalId });
      expect(decision.reason).toMatch(/closed before approval .* was decided; Tower refuses this client: .*revoked/);
    } finally {
      own.close();
    }
  });

  it("is denied at once when the signal aborts", async () => {
    const controller = new AbortController();
    const waiting = agent.authorize(newDeploy(), { wait: true, signal: controller.signal });
    await pause(200);
    controller.abort();
    expect(await waiting).toMatchObject({
      decision: "denied",
      source: "sdk",
      reason: expect.stringMatching(/aborted/),
    });
  });
});

describe("agent.waitForApproval", () => {
  it("resolves an approval by id: allowed once approved, without using it", async () => {
    const request = newDeploy();
    const asked = await agent.authorize(request);
    const waiting = agent.waitForApproval(asked.approvalId!, { timeoutMs: 10_000 });
    await pause(200);
    await decide(asked.approvalId!, "approve");
    expect(await waiting).toMatchObject({ decision: "allowed", source: "approval", approvalId: asked.approvalId });
    // Already decided: at once. The next authorize of the request is the one that uses it.
    expect((await agent.waitForApproval(asked.approvalId!)).decision).toBe("allowed");
    expect(await agent.authorize(request)).toMatchObject({ decision: "allowed", approvalId: asked.approvalId });
  });

  it("is denied for an approval Tower does not know", async () => {
    const decision = await agent.waitForApproval("0000000000000000000000000");
    expect(decision).toMatchObject({ decision: "denied", source: "sdk" });
  });
});

describe("agent.guard", () => {
  it("runs the function only when allowed, else throws PolicyDeniedError with the decision", async () => {
    let ran = 0;
    expect(await agent.guard("read", () => ++ran, { path: "README.md" })).toBe(1);

    const denied = await agent.guard("rm", () => ++ran).catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(PolicyDeniedError);
    expect((denied as PolicyDeniedError).decision).toMatchObject({ decision: "denied", ruleId: "no-rm" });
    expect((denied as Error).message).toMatch(/"rm" was denied: Nothing is deleted here/);

    const pending = await agent.guard("deploy", () => ++ran, { input: { ref: "guarded" } }).catch((e: unknown) => e);
    expect((pending as PolicyDeniedError).decision.decision).toBe("requires_approval");

    const timedOut = await agent
      .guard("deploy", () => ++ran, { input: { ref: "guarded" }, wait: true, timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect((timedOut as PolicyDeniedError).decision).toMatchObject({ decision: "denied", source: "sdk" });
    expect(ran).toBe(1);
  });
});

describe("how a check travels", () => {
  it("over the agent's WebSocket while it is open, over HTTP while none is or it fails, and a burst is answered whole", async () => {
    const sent: string[] = [];
    let failNextSend = false;
    class Spying extends NodeWebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        const send = this.send.bind(this) as (...args: unknown[]) => void;
        this.send = ((data: unknown, ...rest: unknown[]) => {
          if (failNextSend && String(data).includes('"policy.check"')) {
            failNextSend = false;
            throw new Error("the socket went away as the check was sent");
          }
          sent.push(String(data));
          send(data, ...rest);
        }) as NodeWebSocket["send"];
      }
    }
    const spied = createTowerClient({
      url: tower.url,
      apiKey: tower.apiKey,
      WebSocket: Spying as unknown as typeof globalThis.WebSocket,
    });
    const checksSent = () => sent.filter((message) => message.includes('"policy.check"')).length;
    try {
      // Not started: no socket is open, and asking does not open one.
      const idle = spied.agent("deployer");
      expect(await idle.authorize({ tool: "read", path: "README.md" })).toMatchObject({ decision: "allowed" });
      expect(sent).toEqual([]);

      // Running: its kill switch holds the socket open, and the check rides it.
      const running = spied.agent("deployer", {
        profile: { role: "ops", allowedTools: ["read", "rm", "deploy", "deploy.quick"] },
      });
      await running.start();
      await waitFor(() => sent.length > 0, "the agent's subscription to go out");
      expect(await running.authorize({ tool: "rm", path: "src/index.ts" })).toMatchObject({
        decision: "denied",
        ruleId: "no-rm",
      });
      expect(checksSent()).toBe(1);

      // 120 at once: the socket takes its share, HTTP the rest; Tower answers every one.
      const burst = await Promise.all(
        Array.from({ length: 120 }, (_, i) => running.authorize({ tool: "read", path: `docs/${i}.md` })),
      );
      expect(burst.filter((decision) => decision.source === "sdk")).toEqual([]);
      expect(burst.every((decision) => decision.decision === "allowed")).toBe(true);
      expect(checksSent()).toBeGreaterThan(1);

      // The socket fails as a check goes out, before any answer: the check is asked again over HTTP.
      failNextSend = true;
      const sentBefore = checksSent();
      expect(await running.authorize({ tool: "read", path: "README.md" })).toMatchObject({
        decision: "allowed",
        source: "default",
      });
      expect(failNextSend).toBe(false);
      expect(checksSent()).toBe(sentBefore);
      await running.stop();
    } finally {
      await spied.shutdown();
    }
  });
});
