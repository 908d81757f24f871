/**
 * `checker`: asks the policy at a steady rate, each call timed from the moment it was due to its
 * answer (open loop: a slow answer never delays the next request): as an agent does, through the
 * SDK's `agent.authorize` (over its live WebSocket, as a started agent asks); as a bare `policy.check` over
 * kept-alive HTTP; or as a Claude Code PreToolUse hook.
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { createTowerClient } from "@tower/sdk";
import WebSocket from "ws";
import { benchRequest } from "../policy-fixture";
import { percentile } from "../stats";
import { go, send, sleep, type Job } from "../worker-ipc";

const WS = WebSocket as unknown as typeof globalThis.WebSocket;

function post(agent: HttpAgent, url: string, headers: Record<string, string>, body: string) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: "POST", agent, headers: { "content-type": "application/json", ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A PreToolUse payload as Claude Code sends it (see the hooks reference), for the i-th request. */
function hookPayload(i: number) {
  const request = benchRequest("unused", i);
  return {
    session_id: "bench-session",
    transcript_path: "/tmp/bench/transcript.jsonl",
    cwd: "/work/project",
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: request.tool === "Bash" ? "Bash" : "Read",
    tool_input:
      request.tool === "Bash"
        ? { command: `ls src/module-${i % 100}` }
        : { file_path: `/work/project/${request.path}` },
    tool_use_id: `toolu_bench_${i}`,
  };
}

/** One way of asking: each call resolves to null when answered, or to why it failed. */
interface Asker {
  call(i: number): Promise<string | null>;
  close(): Promise<void>;
}

async function asker(job: Extract<Job, { role: "checker" }>): Promise<Asker> {
  if (job.target === "sdk") {
    // As an agent asks: through the SDK, started as a running agent is (session, heartbeats, kill switch).
    const client = createTowerClient({ url: job.url, apiKey: job.apiKey, WebSocket: WS });
    const agent = client.agent(job.agent, { profile: { role: "worker", category: "bench" } });
    await agent.start();
    return {
      call: async (i) => {
        const { agent: _name, ...request } = benchRequest(job.agent, i);
        const decision = await agent.authorize(request);
        return decision.source === "sdk" ? decision.reason : null; // the SDK's own denial: Tower did not answer
      },
      close: () => client.shutdown(),
    };
  }
  const http = new HttpAgent({ keepAlive: true, maxSockets: 64 });
  const auth = { authorization: `Bearer ${job.apiKey}` };
  const [url, body] =
    job.target === "http"
      ? [`${job.url}/trpc/policy.check`, (i: number) => JSON.stringify(benchRequest(job.agent, i))]
      : [
          `${job.url}/hooks/claude-code/pre-tool-use?agent=${encodeURIComponent(job.agent)}`,
          (i: number) => JSON.stringify(hookPayload(i)),
        ];
  return {
    call: async (i) => {
      const { status, text } = await post(http, url, auth, body(i));
      return status === 200 ? null : `HTTP ${status}: ${text.slice(0, 300)}`;
    },
    close: async () => http.destroy(),
  };
}

export async function checker(job: Extract<Job, { role: "checker" }>) {
  const { call, close } = await asker(job);
  for (let i = 0; i < 200; i++) await call(i); // connections open, statements prepared
  void send({ type: "ready" });
  await go;
  /**
   * From when each call was due (open loop: includes any lag of this process behind its schedule),
   * or from when it was sent if that was earlier (it sleeps only when more than 1 ms early).
   */
  const samples: number[] = [];
  /** From when each call was actually sent. */
  const fromSend: number[] = [];
  let failed = 0;
  let firstFailure = "";
  // The first seconds run at the full rate unmeasured: the server's code paths for this load get
  // compiled, and the client's pool grows to the connections the rate needs (each new one a
  // handshake on a loop that is already busy). What is measured is the steady state after that.
  const warmup = job.perSecond * job.warmupSeconds;
  const total = warmup + job.perSecond * job.seconds;
  const started = performance.now();
  let measuredFrom = started;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / job.perSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (i === warmup) measuredFrom = due;
    const sent = performance.now();
    const measured = i >= warmup;
    pending.push(
      call(i).then(
        (failure) => {
          if (failure !== null) {
            failed++;
            firstFailure ||= failure;
          }
          if (!measured) return;
          const now = performance.now();
          samples.push(now - Math.min(due, sent));
          fromSend.push(now - sent);
        },
        (error: unknown) => {
          failed++;
          firstFailure ||= String(error);
        },
      ),
    );
  }
  await Promise.all(pending);
  const seconds = (performance.now() - measuredFrom) / 1000;
  await send({
    type: "done",
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    sentP50: percentile(fromSend, 50),
    sentP99: percentile(fromSend, 99),
    rate: samples.length / seconds,
    failed,
    firstFailure,
  });
  await close();
  process.exit(0);
}
