import { WORK_LIMITS } from "@tower/shared";
import { Cron } from "croner";
import { DomainError } from "../core/errors";

/**
 * A task's schedule as croner reads it, checked once: the expression, then the time zone (croner
 * only finds a bad zone when it computes a date). Errors name the field the form shows them on.
 */
export function parseSchedule(cron: string, timezone: string): Cron {
  let schedule: Cron;
  try {
    schedule = new Cron(cron, { timezone, paused: true });
  } catch (error) {
    throw new DomainError("BAD_REQUEST", `Not a valid cron expression: ${cronProblem(error)}`, { field: "cron" });
  }
  try {
    schedule.nextRun(new Date(0));
  } catch {
    throw unknownTimeZone(timezone);
  }
  return schedule;
}

const unknownTimeZone = (timezone: string) =>
  new DomainError("BAD_REQUEST", `Unknown time zone "${timezone}"; use an IANA name such as Europe/Paris or UTC`, {
    field: "timezone",
  });

/**
 * Refuses a time zone that is not one, schedule or not: a task keeps its zone for when it gets a
 * cron, and a bad one saved now would only be found then, refusing a change that did not touch it.
 * Intl is what croner converts dates with, so both know the same zones. `saved`: the zone is the
 * task's own, stored before zones were checked, and the change at hand needs it.
 */
export function assertTimeZone(timezone: string, saved = false): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    if (!saved) throw unknownTimeZone(timezone);
    throw new DomainError(
      "BAD_REQUEST",
      `The task's saved time zone "${timezone}" is unknown (it was saved before zones were checked); ` +
        "send a timezone with this change, an IANA name such as Europe/Paris or UTC",
      { field: "timezone" },
    );
  }
}

/**
 * A schedule about to be saved: checked as parseSchedule does, and refused when it never fires
 * after `now` (a date no month has, such as "0 0 31 2 *"), which croner only finds by searching.
 * Not for the sweep: a schedule saved before this check must not stop it.
 */
export function assertSchedule(cron: string, timezone: string, now: number): void {
  if (parseSchedule(cron, timezone).nextRun(new Date(now)) === null) {
    throw new DomainError(
      "BAD_REQUEST",
      `"${cron}" never fires: no date matches it (is it a day the month does not have, such as 31 February?)`,
      { field: "cron" },
    );
  }
}

function cronProblem(error: unknown): string {
  return (error as Error).message.replace(/^CronPattern: /, "");
}

/** The schedule's first fire strictly after `after`, or null when it never fires again. */
export function nextFireAfter(cron: string, timezone: string, after: number): number | null {
  return parseSchedule(cron, timezone).nextRun(new Date(after))?.getTime() ?? null;
}

/**
 * Past this many, missed fires are counted as "at least": a per-second schedule down for a day
 * missed 86,400, and each is a step of the cron parser inside the sweep's transaction.
 */
export const MISSED_FIRES_COUNTED = 1_000;

/**
 * The fires from `first` (a missed one) up to `now`: how many, the last of them, and whether there
 * were more than `MISSED_FIRES_COUNTED`.
 */
export function missedFires(
  cron: string,
  timezone: string,
  first: number,
  now: number,
): { count: number; last: number; more: boolean } {
  const schedule = parseSchedule(cron, timezone);
  let count = 1;
  let last = first;
  for (let next = schedule.nextRun(new Date(first)); next && next.getTime() <= now; next = schedule.nextRun(next)) {
    if (count === MISSED_FIRES_COUNTED) return { count, last, more: true };
    count++;
    last = next.getTime();
  }
  return { count, last, more: false };
}

/** The next fires after `from`, for the task form's preview. */
export function previewSchedule(cron: string, timezone: string, from: number): { fires: number[]; timezone: string } {
  const fires = parseSchedule(cron, timezone)
    .nextRuns(WORK_LIMITS.previewFires, new Date(from))
    .map((date) => date.getTime());
  return { fires, timezone };
}
