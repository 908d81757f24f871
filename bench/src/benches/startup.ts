/** 8. API server startup: TypeScript through tsx against the compiled build (see ../startup.ts). */
import { log, QUICK } from "../config";
import { add } from "../results";
import { measureStartups, STARTUP_MODES, type StartupMode } from "../startup";

export async function benchStartup() {
  const B = "8. startup";
  const runs = Number(process.env.BENCH_STARTUP_RUNS ?? (QUICK ? 3 : 5));
  const samples = await measureStartups(runs, log);
  for (const mode of Object.keys(STARTUP_MODES) as StartupMode[]) {
    const { label } = STARTUP_MODES[mode];
    for (const sample of samples[mode]) {
      add(B, `server spawn → /readyz 200, fresh database, ${label}`, "ms", sample.readyMs);
      add(B, `server RSS after 5 s idle, ${label}`, "MB", sample.idleRssKb / 1024);
    }
  }
}
