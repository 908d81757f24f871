// An agent's live socket, seen from a proxy between the SDK and Tower. Tower ends a stream (work
// assignments, the live feed) while the key is still good: tRPC's client takes a server's "stopped"
// as the end, so the SDK must subscribe again or the agent falls silent, taking no more runs and
// deaf to a disable; a revoked key is refused for good. The reports of an agent's runs ride that
// socket, and one whose answer the socket lost is sent again over HTTP and answered as stored. The
// call that uses an approval is asked again when the proxy cuts it, so a yes never turns into a no.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createTowerClient, type TowerClient } from "@tower/sdk";
import { DEFAULT_POLICY } from "@tower/shared";
import NodeWebSocket, { WebSocketServer, type RawData } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, waitFor, type TestServer } from "./harness";

let tower: TestServer;
let proxy: http.Server;
let url: string;
/** Subscriptions open through the proxy: what ends one on both sides, by procedure. */
const open = new Map<string, Set<() => void>>();
/** Subscriptions asked for through the proxy, by procedure, since the start. */
const asked = new Map<string, number>();
/** Calls made through the proxy, by way and procedure, since the start. */
const calls = { http: new Map<string, number>(), socket: new Map<string, number>() };
const count = (map: Map<string, number>, path: string) => map.set(path, (map.get(path) ?? 0) + 1);
/** Whether the proxy loses Tower's answer to a report carrying a completion, then closes the app's socket. */
let loseCompletionAnswers = false;
/** Whether the proxy drops the next policy check sent over HTTP, unanswered (a connection cut). */
let dropNextHttpCheck = false;

type Message = { id?: number | string; method?: string; params?: { path?: string } };
const messagesOf = (data: RawData): Message[] => {
  const parsed = JSON.parse(data.toString()) as Message | Message[];
  return Array.isArray(parsed) ? parsed : [parsed];
};

beforeAll(async () => {
  tower = await startTestServer();
  proxy = http.createServer((req, res) => {
    const paths = new URL(req.url!, "http://x").pathname.replace("/trpc/", "").split(",");
    for (const path of paths) count(calls.http, path);
    if (dropNextHttpCheck && paths.includes("policy.check")) {
      dropNextHttpCheck = false;
      return req.socket.destroy();
    }
    const upstream = http.request(`${tower.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  // Each socket is relayed to Tower as it is; `end(path)` stops its subscriptions to that
  // procedure at Tower and tells the app "stopped", which is what the app reads when Tower ends one.
  const sockets = new WebSocketServer({ server: proxy });
  sockets.on("connection", (app, req) => {
    const tower$ = new NodeWebSocket(`${tower.url.replace("http", "ws")}${req.url}`);
    const early: RawData[] = [];
    tower$.on("open", () => early.splice(0).forEach((data) => tower$.send(data.toString())));
    /** Ids of the completions sent on this socket whose answer is to be lost. */
    const losing = new Set<number | string>();
    tower$.on("message", (data) => {
      const [answer] = messagesOf(data);
      if (answer?.id === undefined || !losing.has(answer.id)) return app.send(data.toString());
      app.close(4000, "lost on the way");
    });
    tower$.on("close", () => app.close());
    app.on("close", () => tower$.close());
    app.on("message", (data) => {
      for (const message of messagesOf(data)) {
        const path = message.params?.path;
        if (message.method === "mutation" && path) {
          count(calls.socket, path);
          if (loseCompletionAnswers && path === "run.report" && data.toString().includes('"kind":"complete"'))
            losing.add(message.id!);
        }
        if (message.method !== "subscription" || !path) continue;
        asked.set(path, (asked.get(path) ?? 0) + 1);
        const ends = open.get(path) ?? new Set();
        open.set(path, ends);
        const end = () => {
          ends.delete(end);
          tower$.send(JSON.stringify({ id: message.id, method: "subscription.stop" }));
          app.send(JSON.stringify({ id: message.id, result: { type: "stopped" } }));
        };
        ends.add(end);
      }
      if (tower$.readyState === NodeWebSocket.OPEN) tower$.send(data.toString());
      else early.push(data);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}, 30_000);

afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await tower.stop();
});

const endStreams = (path: string) => [...(open.get(path) ?? [])].forEach((end) => end());

async function runStatus(id: string, status: string) {
  await waitFor(
    () => tower.deps.db.$client.prepare("SELECT status FROM runs WHERE id = ?").pluck().get(id) === status,
    `run ${id} ${status}`,
    10_000,
  );
}

describe("when Tower ends an agent's streams", () => {
  it("subscribes again: the agent goes on taking runs and hears a disable", async () => {
    const client: TowerClient = createTowerClient({ url, apiKey: tower.apiKey, retryDelayMs: () => 100 });
    try {
      const agent = client.agent("resubscriber", { profile: { role: "worker" } });
      const errors: string[] = [];
      agent.on("error", (error) => errors.push(error.message));
      let disabled = false;
      agent.on("disabled", () => (disabled = true));
      await agent.start();
      await tower.owner.task.create({
        projectId: tower.projectId,
        name: "resubscribe",
        target: { kind: "agent", value: "resubscriber" },
      });
      agent.work((run) => ({ n: run.input.n }));
      const first = await client.tasks.enqueue("resubscribe", { n: 1 });
      await runStatus(first.id, "succeeded");

      const before = { work: asked.get("run.assignments") ?? 0, feed: asked.get("agent.onChange") ?? 0 };
      endStreams("run.assignments");
      endStreams("agent.onChange");
      await waitFor(
        () => (asked.get("run.assignments") ?? 0) > before.work && (asked.get("agent.onChange") ?? 0) > before.feed,
        "the SDK to subscribe again",
        10_000,
      );
      const second = await client.tasks.enqueue("resubscribe", { n: 2 });
      await runStatus(second.id, "succeeded");
      const agentId = agent.agent!.id;
      await tower.owner.agent.setEnabled({ projectId: tower.projectId, id: agentId, enabled: false });
      await waitFor(() => disabled, "the disable to reach the agent", 10_000);
      // Ending a stream is not an error the app has to hear about: nothing was lost.
      expect(errors).toEqual([]);
    } finally {
      await client.shutdown();
    }
  });

  it("sends the reports of its runs on the socket; one whose answer the socket lost is sent again over HTTP, and taken", async () => {
    const client = createTowerClient({ url, apiKey: tower.apiKey, retryDelayMs: () => 100 });
    try {
      const agent = client.agent("socket-reporter", { profile: { role: "worker" } });
      const errors: string[] = [];
      agent.on("error", (error) => errors.push(error.message));
      await agent.start();
      await tower.owner.task.create({
        projectId: tower.projectId,
        name: "over-socket",
        target: { kind: "agent", value: "socket-reporter" },
      });
      agent.work((run) => ({ n: run.input.n }));
      const first = await client.tasks.enqueue("over-socket", { n: 1 });
      await runStatus(first.id, "succeeded");
      expect(calls.http.get("run.report")).toBeUndefined();
      expect(calls.socket.get("run.report")).toBeGreaterThan(0);

      // Tower stores the completion; its answer is lost with the socket, so the SDK cannot know.
      loseCompletionAnswers = true;
      const second = await client.tasks.enqueue("over-socket", { n: 2 });
      await runStatus(second.id, "succeeded");
      await waitFor(() => (calls.http.get("run.report") ?? 0) > 0, "the completion to be sent again over HTTP", 10_000);
      loseCompletionAnswers = false;
      // Answered as stored, so the app is not told its outcome was dropped.
      const third = await client.tasks.enqueue("over-socket", { n: 3 });
      await runStatus(third.id, "succeeded");
      expect(errors).toEqual([]);
      const stored = await tower.owner.run.byId({ projectId: tower.projectId, id: second.id });
      expect(stored).toMatchObject({ status: "succeeded", attempt: 1, output: { n: 2 } });
    } finally {
      await client.shutdown();
    }
  });

  it("asks again when the call that uses a person's yes gets no answer, instead of turning the yes into a no", async () => {
    await tower.owner.policy.save({
      projectId: tower.projectId,
      expectedVersion: 0,
      document: {
        ...DEFAULT_POLICY,
        rules: [
          {
            id: "deploys",
            description: "",
            match: { tools: ["deploy"] },
            effect: "require_approval",
            reason: "A person says yes",
          },
        ],
      },
    });
    await tower.owner.agent.create({
      projectId: tower.projectId,
      name: "asker",
      role: "ops",
      allowedTools: ["deploy"],
    });
    const client = createTowerClient({ url, apiKey: tower.apiKey, retryDelayMs: () => 100 });
    try {
      // Not started: its checks go over HTTP, where the proxy cuts one.
      const asked = client
        .agent("asker")
        .authorize({ tool: "deploy", input: { ref: "v1" } }, { wait: true, timeoutMs: 20_000 });
      const pending = () => tower.owner.approval.list({ projectId: tower.projectId, status: "pending" });
      let approvalId = "";
      for (let i = 0; i < 100 && approvalId === ""; i++) {
        approvalId = (await pending()).items[0]?.id ?? "";
        if (approvalId === "") await new Promise((resolve) => setTimeout(resolve, 50));
      }
      dropNextHttpCheck = true;
      await tower.owner.approval.decide({
        projectId: tower.projectId,
        id: approvalId,
        decision: "approve",
        comment: "",
      });
      expect(await asked).toMatchObject({ decision: "allowed", approvalId });
      expect(dropNextHttpCheck).toBe(false); // the cut happened, to the call that uses the yes
    } finally {
      await client.shutdown();
    }
  });

  it("says so, once, when Tower refuses them for good (the key was revoked), and stops asking", async () => {
    const key = await tower.owner.apiKey.create({ projectId: tower.projectId, name: "to revoke", scopes: ["manage"] });
    const client = createTowerClient({ url, apiKey: key.secret, retryDelayMs: () => 100 });
    try {
      const agent = client.agent("revoked-worker", { profile: { role: "worker" } });
      const errors: string[] = [];
      agent.on("error", (error) => errors.push(error.message));
      await agent.start();
      agent.work(() => null);
      await waitFor(() => (open.get("run.assignments")?.size ?? 0) > 0, "the work stream to open");
      await tower.owner.apiKey.revoke({ projectId: tower.projectId, id: key.id });
      await waitFor(
        () => errors.some((e) => e.includes("work stream")) && errors.some((e) => e.includes("live feed")),
        "both refusals to be said",
        10_000,
      );
      const work = asked.get("run.assignments");
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(asked.get("run.assignments")).toBe(work);
      const said = errors.filter((e) => e.includes("work stream") || e.includes("live feed"));
      expect(said).toHaveLength(2);
      expect(said.join("\n")).toContain("Tower refused revoked-worker's work stream, so it takes no more runs:");
      expect(said.join("\n")).toContain("Tower refused revoked-worker's live feed, so a stop from the dashboard");
    } finally {
      await client.shutdown();
    }
  });
});
