"use client";
import { useEffect, useRef } from "react";
import { plural } from "~/lib/format";
import { ErrorText, Loading } from "~/ui/states";
import { useSuiteOutput } from "./suite-hooks";

/**
 * What the suite's command printed, stdout and stderr in the order read, as it streams in (read on
 * whenever the live `outputLines` count grows). Stays scrolled to the newest line unless the reader
 * has scrolled up to read.
 */
export function SuiteOutput({
  projectId,
  runId,
  outputLines,
  running,
}: {
  projectId: string;
  runId: string;
  outputLines: number;
  /** Still running: more may come. */
  running: boolean;
}) {
  const output = useSuiteOutput(projectId, runId, outputLines);
  const box = useRef<HTMLOListElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    const node = box.current;
    if (node && follow.current) node.scrollTop = node.scrollHeight;
  }, [output.rows.length]);

  return (
    <section className="card" aria-labelledby="suite-output-title">
      <h2 id="suite-output-title">Output ({plural(outputLines, "line")})</h2>
      {output.error ? (
        <ErrorText error={output.error} context="Could not load the output">
          {" "}
          <button type="button" className="link-button" onClick={() => void output.retry()}>
            Try again
          </button>
        </ErrorText>
      ) : null}
      {outputLines === 0 ? (
        <p className="muted">{running ? "Nothing printed yet." : "The command printed nothing."}</p>
      ) : output.rows.length === 0 && output.loading ? (
        <Loading label="Loading the output…" />
      ) : (
        <ol
          ref={box}
          className="run-log suite-output"
          tabIndex={0}
          aria-label="Output lines"
          onScroll={(e) => {
            const node = e.currentTarget;
            follow.current = node.scrollHeight - node.scrollTop - node.clientHeight < 24;
          }}
        >
          {output.rows.map((line) => (
            <li key={line.id} data-stream={line.stream}>
              {/* Words, not colour alone, mark what went to stderr. */}
              {line.stream === "stderr" ? <span className="output-stream">stderr</span> : null}
              {line.line}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
