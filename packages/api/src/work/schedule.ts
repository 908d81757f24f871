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
    throw new DomainError(
      "BAD_REQUEST",
      `Unknown time zone "${timezone}"; use an IANA name such as Europe/Paris or UTC`,
      {
        field: "timezone",
      },
    );
  }
  return schedule;
}

function cronProblem(error: unknown): string {
  return (error as Error).message.replace(/^CronPattern: /, "");
}

/** The schedule's first fire strictly after `after`, or null when it never fires again. */
export function nextFireAfter(cron: string, timezone: string, after: number): number | null {
  return parseSchedule(cron, timezone).nextRun(new Date(after))?.getTime() ?? null;
}

/** The next fires after `from`, for the task form's preview. */
export function previewSchedule(cron: string, timezone: string, from: number): { fires: number[]; timezone: string } {
  const fires = parseSchedule(cron, timezone)
    .nextRuns(WORK_LIMITS.previewFires, new Date(from))
    .map((date) => date.getTime());
  return { fires, timezone };
}
