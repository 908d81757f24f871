import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const POLL_MS = 25;
/** How long to wait for SIGKILL to take effect (it cannot be ignored; only a hung kernel call delays it). */
const KILL_WAIT_MS = 2_000;
const hasProc = (() => {
  try {
    readdirSync("/proc/self");
    return true;
  } catch {
    return false;
  }
})();

/** State, process group and start time of `pid` from /proc, or null when it does not exist. */
function procStat(pid: number): { state: string; pgrp: number; startTime: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ")".
    // The fields after it start at field 3 (state); starttime is field 22, index 19 here.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", pgrp: Number(fields[2]), startTime: Number(fields[19]) };
  } catch {
    return null;
  }
}

/**
 * When `pid` started, as Linux reports it (/proc/<pid>/stat field 22, clock ticks since boot);
 * null without /proc or once the process is gone. With the pid it names one process: a later
 * process given the same id has a later start time.
 */
export function processStartTime(pid: number): number | null {
  const stat = hasProc ? procStat(pid) : null;
  return stat && Number.isSafeInteger(stat.startTime) ? stat.startTime : null;
}

/**
 * Stops (SIGKILL) the process group a crashed server left behind, when it is still the one that
 * server started. `startTime` is what `processStartTime` gave for the leader at its start.
 *
 * With /proc, the group is killed only when its leader (pid = pgid, a zombie included: its entry
 * stays until it is reaped) still leads that group and started at `startTime`: a group that reused
 * the id (after a reboot, say) is left alone, and so is one whose leader is gone (its remaining
 * members cannot be told from a stranger's). Without /proc (macOS) nothing can be checked: the
 * group is killed only when no start time was stored (it was recorded on such a platform too), as
 * a suite left running forever, and run twice at its next start, is the likelier harm than a
 * reused group id. Returns whether a signal was sent.
 */
export function killOrphanedGroup(pgid: number, startTime: number | null): boolean {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) return false;
  if (hasProc) {
    const leader = procStat(pgid);
    if (startTime === null || !leader || leader.pgrp !== pgid || leader.startTime !== startTime) return false;
  } else if (startTime !== null) {
    return false;
  }
  signalGroup(pgid, "SIGKILL");
  return true;
}

/**
 * Whether `pid` is running. A zombie counts as gone: it has exited and only waits to be reaped,
 * which in a container whose PID 1 is not an init may never happen (kill(pid, 0) still succeeds).
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !hasProc || procStat(pid)?.state !== "Z";
}

/** Whether any process of group `pgid` is still running (zombies aside, as above). */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  if (!hasProc) return true;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== "Z") return true;
  }
  return false;
}

/** Sends `signal` to every process of group `pgid`; a group that is already gone is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

async function waitForGroup(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isGroupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}

/**
 * Stops a whole process group: SIGTERM, then SIGKILL for whatever still runs after `graceMs`.
 * Resolves once the group is gone; `killed` says SIGKILL was needed.
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<{ killed: boolean }> {
  signalGroup(pgid, "SIGTERM");
  if (await waitForGroup(pgid, graceMs)) return { killed: false };
  signalGroup(pgid, "SIGKILL");
  await waitForGroup(pgid, KILL_WAIT_MS);
  return { killed: true };
}
