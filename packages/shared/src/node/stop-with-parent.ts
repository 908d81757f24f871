/**
 * For a process started by `npm start` (scripts/bootstrap.mjs) with an IPC channel as its lifeline:
 * when that script dies without stopping it (SIGKILL, a crash), the channel closes and this process
 * stops itself as on SIGTERM, instead of running on as an orphan that holds the ports and the
 * database. Started any other way (no channel), it does nothing.
 */
export function stopWithParent(): void {
  if (!process.connected) return;
  // The channel must not keep the process alive by itself, nor its messages reach anyone.
  process.channel?.unref();
  process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
}
