"use client";
import { errorMessage } from "~/lib/errors";
import { inZone } from "./format";
import { useSchedulePreview } from "./hooks";

/**
 * The next five fire times of the schedule being typed, in words and in its time zone, from the
 * server as typing pauses; a bad expression or zone shows the server's reason. A polite live region:
 * screen readers hear the result once it settles, not every keystroke.
 */
export function SchedulePreview({ projectId, cron, timezone }: { projectId: string; cron: string; timezone: string }) {
  const { query, typing, enabled } = useSchedulePreview(projectId, cron, timezone);
  let body;
  if (!enabled) body = <p className="muted">No schedule: the task runs only when started (Run now, or from an app).</p>;
  else if (query.error) {
    body = (
      <p className="field-error" data-preview-error>
        {errorMessage(query.error).replace(/^(cron|timezone): /, "")}
      </p>
    );
  } else if (!query.data) body = <p className="muted">Working out the next runs…</p>;
  else if (query.data.fires.length === 0) body = <p>This schedule never fires again.</p>;
  else
    body = (
      <>
        <p>
          Next {query.data.fires.length} runs ({query.data.timezone}){typing || query.isFetching ? " — updating…" : ""}:
        </p>
        <ol data-preview-fires>
          {query.data.fires.map((at) => (
            <li key={at}>
              <time dateTime={new Date(at).toISOString()}>{inZone(at, query.data.timezone)}</time>
            </li>
          ))}
        </ol>
      </>
    );
  return (
    <section className="schedule-preview" aria-label="Schedule preview" aria-live="polite">
      {body}
    </section>
  );
}
