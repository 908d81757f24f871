/** The `subscribe` role: many dashboard-like subscribers tailing `audit.onAppend`, each on its own WebSocket. */
import WebSocket from "ws";
import { compact, newHistogram, nowMs, record } from "../stats";
import { send, sleep, stopped, type Job } from "../worker-ipc";

const SENT_AT = Buffer.from('"sentAt":');

/** The `sentAt` numbers of the paced events in a raw message (detail `{"sentAt":…,"seq":…}`). */
function* sendTimes(message: Buffer): Generator<number> {
  for (let at = message.indexOf(SENT_AT); at !== -1; at = message.indexOf(SENT_AT, at + 1)) {
    let end = at + SENT_AT.length;
    while (end < message.length && message[end] !== 0x2c && message[end] !== 0x7d) end++; // up to , or }
    yield Number(message.toString("latin1", at + SENT_AT.length, end));
  }
}

export async function subscribe(job: Extract<Job, { role: "subscribe" }>) {
  // `count` dashboard-like subscribers, each on its own WebSocket, tailing audit.onAppend.
  const hist = newHistogram();
  const received = new Array<number>(job.count).fill(0);
  let started = 0;
  let errors = 0;
  let closed = 0;
  let firstError = "";
  const closers: (() => void)[] = [];
  const wsUrl = job.url.replace(/^http/, "ws") + "/trpc";
  const openOne = (index: number) =>
    new Promise<void>((resolve) => {
      let settled = false;
      const done = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      const fail = (error: unknown) => {
        errors++;
        firstError ||= String((error as Error)?.message ?? error);
        done();
      };
      try {
        // A lean dashboard: one tRPC subscription on a raw socket, and each message scanned for
        // the rows' send times instead of parsed into objects. 1,000 subscribers here share two
        // cores with the server; parsing ~450 MB/s of JSON would measure this process, not Tower.
        const socket = new WebSocket(`${wsUrl}?connectionParams=1`);
        let subscribed = false;
        socket.once("open", () => {
          socket.send(JSON.stringify({ method: "connectionParams", data: { apiKey: job.apiKey } }));
          socket.send(
            JSON.stringify({
              id: 1,
              method: "subscription",
              params: { path: "audit.onAppend", input: { lastEventId: null } },
            }),
          );
        });
        socket.on("message", (data: Buffer) => {
          if (data.length === 4 && data.toString() === "PING") return socket.send("PONG");
          const now = nowMs();
          if (!subscribed) {
            if (data.includes('"type":"started"')) {
              subscribed = true;
              started++;
              done();
            } else if (data.includes('"error"')) fail(new Error(data.toString().slice(0, 300)));
            return;
          }
          for (const sentAt of sendTimes(data)) {
            received[index]!++;
            record(hist, now - sentAt);
          }
        });
        socket.on("error", fail);
        socket.on("close", (code) => {
          closed++;
          firstError ||= `socket closed (${code})`;
        });
        closers.push(() => socket.close());
      } catch (error) {
        fail(error);
      }
      setTimeout(done, job.openTimeoutMs).unref();
    });
  for (let i = 0; i < job.count; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, job.count - i) }, (_, k) => openOne(i + k)));
    if (errors > 0 && started === 0) break;
  }
  void send({ type: "ready", started, errors, firstError });
  process.on("message", (message: { cmd?: string }) => {
    if (message.cmd === "progress") void send({ type: "progress", min: Math.min(...received) });
  });
  // Raw sockets that all closed would leave nothing to keep this process up until it reports.
  const alive = setInterval(() => {}, 60_000);
  await stopped;
  clearInterval(alive);
  await send({ type: "done", started, errors, firstError, received, closed, hist: compact(hist) });
  for (const close of closers) close();
  await sleep(200);
  process.exit(0);
}
