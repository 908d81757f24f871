"use client";
import { useEffect, useRef } from "react";
import { ErrorText, Loading } from "~/ui/states";
import { useRunLogs } from "./run-hooks";

/**
 * The run's log lines as they stream in (fetched whenever the live `logLines` count grows). Stays
 * scrolled to the newest line unless the reader has scrolled up to read.
 */
export function RunLogs({ projectId, runId, logLines }: { projectId: string; runId: string; logLines: number }) {
  const logs = useRunLogs(projectId, runId, logLines);
  const box = useRef<HTMLOListElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    const node = box.current;
    if (node && follow.current) node.scrollTop = node.scrollHeight;
  }, [logs.lines.length]);

  return (
    <section className="card" aria-labelledby="run-logs-title">
      <h2 id="run-logs-title">
        Log ({logLines} {logLines === 1 ? "line" : "lines"})
      </h2>
      {logs.error ? (
        <ErrorText error={logs.error} context="Could not load the log">
          {" "}
          <button type="button" className="link-button" onClick={() => void logs.retry()}>
            Try again
          </button>
        </ErrorText>
      ) : null}
      {logLines === 0 ? (
        <p className="muted">No log lines yet.</p>
      ) : logs.lines.length === 0 && logs.loading ? (
        <Loading label="Loading the log…" />
      ) : (
        <ol
          ref={box}
          className="run-log"
          tabIndex={0}
          aria-label="Log lines"
          onScroll={(e) => {
            const node = e.currentTarget;
            follow.current = node.scrollHeight - node.scrollTop - node.clientHeight < 24;
          }}
        >
          {logs.lines.map((line) => (
            <li key={line.id}>
              <time dateTime={new Date(line.at).toISOString()}>{new Date(line.at).toLocaleTimeString()}</time>
              {line.line}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
