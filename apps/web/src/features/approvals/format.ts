import type { Approval, ApprovalStatus } from "@tower/shared";
import { approvalStatusAt } from "@tower/shared/domain";

// How approvals read: time left, the request in one line, the status as a badge's words.

/** "4:05 left", "1 h 12 min left", "2 d left"; "expired" once the time is up. */
export function timeLeft(expiresAt: number, now: number): string {
  const seconds = Math.ceil((expiresAt - now) / 1000);
  if (seconds <= 0) return "expired";
  if (seconds < 3600) return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")} left`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
  return `${Math.floor(minutes / 1440)} d left`;
}

/** The request's input as one short line of JSON ("" when there is none). */
export function compactInput(input: Record<string, unknown>, max = 160): string {
  if (Object.keys(input).length === 0) return "";
  const text = JSON.stringify(input);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The status as it reads now: a pending approval past its expiry is "expired", never "denied". */
export const statusOf = (approval: Approval, now: number): ApprovalStatus => approvalStatusAt(approval, now);

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
