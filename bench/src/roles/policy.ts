/**
 * `checker`: asks the policy at a steady rate over kept-alive HTTP, each call timed from the moment
 * it was due to its answer (open loop: a slow answer never delays the next request), either as
 * `policy.check` (tRPC's wire format, as the SDK sends it) or as a Claude Code PreToolUse hook.
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { benchRequest } from "../policy-fixture";
import { percentile } from "../stats";
import { go, send, sleep, type Job } from "../worker-ipc";

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

export async function checker(job: Extract<Job, { role: "checker" }>) {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
  const auth = { authorization: `Bearer ${job.apiKey}` };
  const call =
    job.target === "check"
      ? (i: number) => post(agent, `${job.url}/trpc/policy.check`, auth, JSON.stringify(benchRequest(job.agent, i)))
      : (i: number) =>
          post(
            agent,
            `${job.url}/hooks/claude-code/pre-tool-use?agent=${encodeURIComponent(job.agent)}`,
            auth,
            JSON.stringify(hookPayload(i)),
          );
  for (let i = 0; i < 200; i++) await call(i); // warm-up: connections open, statements prepared
  void send({ type: "ready" });
  await go;
  /** From when each call was due (open loop: includes any lag of this process behind its schedule). */
  const samples: number[] = [];
  /** From when each call was actually sent. */
  const fromSend: number[] = [];
  let failed = 0;
  let firstFailure = "";
  const total = job.perSecond * job.seconds;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / job.perSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sent = performance.now();
    pending.push(
      call(i).then(
        ({ status, text }) => {
          if (status !== 200) {
            failed++;
            firstFailure ||= `HTTP ${status}: ${text.slice(0, 300)}`;
          }
          const now = performance.now();
          samples.push(now - due);
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
  const seconds = (performance.now() - started) / 1000;
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
  agent.destroy();
  process.exit(0);
}
