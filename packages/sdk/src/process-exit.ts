/**
 * Runs `cleanup` once when a Node process is about to end: when its event loop empties, or on
 * SIGINT/SIGTERM. After cleanup, a signal nobody else handles is raised again, so the process still
 * exits as it would have. In a browser this does nothing.
 */
export function onProcessExit(cleanup: () => Promise<void>): void {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  if (!proc?.once) return;
  let done: Promise<void> | undefined;
  const run = () => (done ??= cleanup().catch(() => {}));
  proc.once("beforeExit", () => void run());
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const handler = () => {
      void run().then(() => {
        if (proc.listenerCount(signal) === 0) proc.kill(proc.pid, signal);
      });
    };
    proc.once(signal, handler);
  }
}
