/**
 * The load generators: forked worker.ts processes (so clients never share the server's event loop),
 * one job each, talked to over IPC; and helpers to split agents between them and count what the
 * server stored.
 */
import Database from "better-sqlite3";
import { fork, type ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { log } from "./config";
import type { BenchServer } from "./server";
import type { Job } from "./worker";

const workerTs = fileURLToPath(new URL("./worker.ts", import.meta.url));
const benchDir = fileURLToPath(new URL("..", import.meta.url));

/**
 * Lowers a load generator to nice 19, every thread of it: on Linux a nice value is a thread's own,
 * and renicing the process id reaches only its main thread, while V8's garbage-collection helpers
 * (busy in a process building batches flat out) would go on competing with the server at nice 0.
 * Threads started later inherit the value of the thread that starts them.
 */
export function yieldCpu(worker: Worker): void {
  const pid = worker.child.pid!;
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    threads = [String(pid)]; // not Linux: the process as a whole
  }
  for (const tid of threads) {
    try {
      os.setPriority(Number(tid), 19);
    } catch {
      // the thread ended meanwhile
    }
  }
}

export class Worker {
  readonly child: ChildProcess;
  #waiters: { type: string; resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  #inbox: Record<string, unknown>[] = [];
  readonly exited: Promise<void>;

  constructor(job: Job) {
    this.child = fork(workerTs, [], {
      cwd: benchDir,
      // BENCH_WORKER_ARGS passes extra Node flags to the load generators (e.g. "--cpu-prof").
      // The SDK from its sources (as the repo's tests use it), so a bench never measures a stale build.
      execArgv: [
        "--conditions=@tower/source",
        "--import",
        "tsx",
        ...(process.env.BENCH_WORKER_ARGS?.split(" ").filter(Boolean) ?? []),
      ],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        // A worker that is gone will not answer: say so now instead of waiting out the timeout. Its
        // last messages ("done" just before exiting) can still be in the IPC pipe when "exit" comes,
        // so only once the channel has been read to its end.
        const fail = () => {
          clearTimeout(fallback);
          for (const waiter of this.#waiters.splice(0)) {
            waiter.reject(new Error(`worker exited (${signal ?? code}) before sending "${waiter.type}"`));
          }
          resolve();
        };
        const fallback = setTimeout(fail, 5_000);
        if (this.child.connected) this.child.once("disconnect", fail);
        else fail();
      }),
    );
    this.child.on("message", (message: Record<string, unknown>) => {
      if (message.type === "error") {
        log("worker failed:", message.message);
        process.exitCode = 1;
      }
      const i = this.#waiters.findIndex((w) => w.type === message.type);
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(message);
      else this.#inbox.push(message);
    });
    this.child.send({ job });
  }

  next<T = Record<string, unknown>>(type: string, timeoutMs = 600_000): Promise<T> {
    const i = this.#inbox.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.#inbox.splice(i, 1)[0] as T);
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        type,
        resolve: (m: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1); // a late answer must not go to a dead waiter
        reject(new Error(`worker: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  cmd(cmd: string) {
    if (this.child.connected) this.child.send({ cmd });
  }

  kill() {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

export async function spawnAll(jobs: Job[]): Promise<Worker[]> {
  const workers = jobs.map((job) => new Worker(job));
  await Promise.all(workers.map((w) => w.next("ready")));
  return workers;
}

export function split<T>(items: T[], parts: number): T[][] {
  const out: T[][] = Array.from({ length: parts }, () => []);
  items.forEach((item, i) => out[i % parts]!.push(item));
  return out.filter((part) => part.length > 0);
}

export const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

export function countRows(server: BenchServer, sql: string): number {
  const db = new Database(server.dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(sql).pluck().get() as number) ?? 0;
  } finally {
    db.close();
  }
}
