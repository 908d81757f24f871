/**
 * The API server's startup time and idle memory, run from TypeScript through the tsx loader
 * (`node --import tsx src/main.ts`, as tests and `pnpm dev` run it) and compiled
 * (`node dist/main.js`, as `npm start` runs it). See docs/decisions/compiled-server.md.
 *
 * Each run starts the server on a fresh SQLite file (every migration applied), port 0 and no demo
 * project, and measures:
 *   - startup: from spawning the process until GET /readyz answers 200;
 *   - idle RSS: VmRSS from /proc/<pid>/status after 5 s idle, the worker threads included.
 * The two modes alternate, after one uncounted warm-up each (tsx's transform cache and the OS's
 * file cache are warm, as on a developer's machine).
 *
 *   node --import tsx src/startup.ts     prints the figures (BENCH_STARTUP_RUNS, default 5)
 *   pnpm bench (BENCH_ONLY=startup)      records them in results.json as "8. startup"
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildServer, rssKbOf } from "./server";
import { summarize } from "./stats";

const root = fileURLToPath(new URL("../../", import.meta.url));
const serverDir = path.join(root, "apps/server");
const IDLE_MS = 5_000;

export const STARTUP_MODES = {
  tsx: { label: "tsx (node --import tsx src/main.ts)", args: ["--import", "tsx", "src/main.ts"] },
  compiled: { label: "compiled (node dist/main.js)", args: ["dist/main.js"] },
} as const;
export type StartupMode = keyof typeof STARTUP_MODES;

export interface StartupSample {
  /** Spawn until /readyz answered 200, in ms. */
  readyMs: number;
  /** VmRSS after IDLE_MS idle, in kB. */
  idleRssKb: number;
}

/** One start of the server in `mode` on a fresh database; stopped (SIGTERM) before returning. */
export async function measureStartup(mode: StartupMode): Promise<StartupSample> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `tower-bench-startup-${mode}-`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOWER_PORT: "0",
    TOWER_HOST: "127.0.0.1",
    TOWER_DB_PATH: path.join(dir, "tower.sqlite"),
    TOWER_LOG_LEVEL: "warn",
    TOWER_DEMO: "false",
    NODE_ENV: "production",
  };
  delete env.NODE_OPTIONS;
  let output = "";
  const began = performance.now();
  const child = spawn(process.execPath, STARTUP_MODES[mode].args, {
    cwd: serverDir,
    env,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, "exit");
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${mode}: no "listening" within 60 s\n${output}`)), 60_000);
      child.on("message", (message: { type?: string; port?: number }) => {
        if (message.type !== "listening" || !message.port) return;
        clearTimeout(timer);
        resolve(message.port);
      });
      void exited.then(([code]) => {
        clearTimeout(timer);
        reject(new Error(`${mode}: server exited with ${String(code)} while starting\n${output}`));
      });
    });
    let readyMs = Number.NaN;
    for (let i = 0; i < 1_000; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) {
        readyMs = performance.now() - began;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (!Number.isFinite(readyMs)) throw new Error(`${mode}: /readyz never answered 200\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    return { readyMs, idleRssKb: rssKbOf(child.pid!) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Alternating runs of both modes after a warm-up of each: every sample, per mode. */
export async function measureStartups(
  runs: number,
  log: (message: string) => void = () => {},
): Promise<Record<StartupMode, StartupSample[]>> {
  buildServer();
  const modes = Object.keys(STARTUP_MODES) as StartupMode[];
  for (const mode of modes) await measureStartup(mode); // warm-up, not counted
  const samples: Record<StartupMode, StartupSample[]> = { tsx: [], compiled: [] };
  for (let run = 1; run <= runs; run++) {
    for (const mode of modes) {
      const sample = await measureStartup(mode);
      samples[mode].push(sample);
      log(
        `startup run ${run} ${mode}: ready in ${sample.readyMs.toFixed(0)} ms, idle RSS ${(sample.idleRssKb / 1024).toFixed(1)} MB`,
      );
    }
  }
  return samples;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 5);
  const samples = await measureStartups(runs, (message) => console.error(message));
  console.log(`\nAPI server startup, fresh database, ${runs} runs each (median, min–max)\n`);
  for (const mode of Object.keys(STARTUP_MODES) as StartupMode[]) {
    const ready = summarize(samples[mode].map((s) => s.readyMs));
    const rss = summarize(samples[mode].map((s) => s.idleRssKb / 1024));
    console.log(
      `${STARTUP_MODES[mode].label.padEnd(38)} startup ${ready.median.toFixed(0)} ms (${ready.min.toFixed(0)}–${ready.max.toFixed(0)})   idle RSS ${rss.median.toFixed(1)} MB (${rss.min.toFixed(1)}–${rss.max.toFixed(1)})`,
    );
  }
}
