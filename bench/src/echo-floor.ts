/**
 * The floor of any round trip on this machine: two bare Node processes, no Tower. A client sends
 * 1,000 small messages a second over one kept-alive TCP connection to an echo server and times
 * each answer from when it was due (a late send counts against it), as the policy bench times
 * checks. Compare its p99 with `policy.check`'s.
 *
 *   node --import tsx src/echo-floor.ts          10 s (ECHO_SECONDS to change)
 */
import { fork } from "node:child_process";
import net, { type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

const RATE = 1_000;

if (process.argv[2] === "server") {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("data", (data) => socket.write(data));
  });
  server.listen(0, "127.0.0.1", () => process.send!((server.address() as AddressInfo).port));
} else {
  const child = fork(fileURLToPath(import.meta.url), ["server"], { execArgv: process.execArgv });
  const port = await new Promise<number>((resolve) => child.once("message", (m) => resolve(m as number)));
  const socket = net.connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once("connect", resolve));
  const seconds = Number(process.env.ECHO_SECONDS ?? 10);
  const due = new Map<number, number>();
  const latencies: number[] = [];
  let buffered = "";
  socket.on("data", (data) => {
    buffered += data.toString();
    for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
      const seq = Number(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      latencies.push(performance.now() - due.get(seq)!);
      due.delete(seq);
    }
  });
  const start = performance.now();
  let seq = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      while (seq < seconds * RATE && seq < ((performance.now() - start) * RATE) / 1000) {
        due.set(seq, start + (seq * 1000) / RATE);
        socket.write(`${seq++}\n`);
      }
      if (seq >= seconds * RATE) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(2);
  console.log(
    `bare TCP echo, ${RATE}/s for ${seconds} s: ${latencies.length} answers; p50 ${at(0.5)} ms, p99 ${at(0.99)}, p99.9 ${at(0.999)}, max ${at(1)}`,
  );
  child.kill();
  socket.destroy();
}
