import type { RunStatus, TaskTarget } from "@tower/shared";

// How work reads: times in a task's own time zone, durations, targets and statuses in words.

/** A date and time in words in `timeZone` ("Monday, December 7, 2026 at 9:00 AM"); the browser's zone when unknown. */
export function inZone(at: number, timeZone: string, style: "full" | "medium" = "full"): string {
  const options: Intl.DateTimeFormatOptions = { dateStyle: style, timeStyle: "short" };
  try {
    return new Intl.DateTimeFormat(undefined, { ...options, timeZone }).format(at);
  } catch {
    // A zone this browser does not know (the server checks it; older browsers lag): the local time.
    return new Intl.DateTimeFormat(undefined, options).format(at);
  }
}

/** "in 5 min", "in 3 h", "in 2 d"; "now" within the minute. */
export function until(at: number, now: number): string {
  const minutes = Math.round((at - now) / 60_000);
  if (minutes <= 0) return "now";
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `in ${hours} h`;
  return `in ${Math.round(hours / 24)} d`;
}

/** "just now", "5 min ago", "3 h ago", then the date and time. */
export function ago(at: number, now: number): string {
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(at).toLocaleString();
}

/** A length of time in words: "45 s", "2 min 5 s", "1 h 30 min", "3 d". */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}

/** Who may take the task's runs, in words. */
export function targetText(target: TaskTarget): string {
  if (target.kind === "agent") return `agent ${target.value ?? ""}`;
  if (target.kind === "role") return `any ${target.value ?? ""}`;
  return "any agent";
}

/** A run's status as a badge reads it: words, never colour alone. */
export const RUN_STATUS_LABELS: Record<RunStatus, string> = {
  queued: "queued",
  leased: "leased",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  timed_out: "timed out",
  cancelled: "cancelled",
  expired: "expired",
};

/** JSON for reading: indented, or "—" for nothing. */
export function prettyJson(value: unknown): string {
  if (value === null || value === undefined) return "—";
  return JSON.stringify(value, null, 2);
}
