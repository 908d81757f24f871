"use client";
import { useMemo } from "react";
import { Empty, QueryView } from "~/ui/states";
import { count, dateTime, usd } from "./agent-cards";
import { useAgentSessions } from "./hooks";

/** The agent's sessions, newest first, paged ("Older sessions"). */
export function SessionHistory({ projectId, agentId }: { projectId: string; agentId: string }) {
  const sessions = useAgentSessions(projectId, agentId);
  const items = useMemo(() => sessions.data?.pages.flatMap((p) => p.items) ?? [], [sessions.data]);
  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">Session history</h2>
      <QueryView
        query={{ isPending: sessions.isPending, error: sessions.error, data: items }}
        loading="Loading sessions…"
        failure="Could not load sessions"
        empty={<Empty line>No sessions yet.</Empty>}
      >
        {(loaded) => (
          <div className="table-wrap">
            <table aria-label="Sessions">
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Ended</th>
                  <th scope="col">Tokens</th>
                  <th scope="col">Cost</th>
                  <th scope="col">Runs</th>
                </tr>
              </thead>
              <tbody>
                {loaded.map((s) => (
                  <tr key={s.id}>
                    <th scope="row" data-label="Started">
                      {dateTime(s.startedAt)}
                    </th>
                    <td data-label="Ended">
                      {s.endedAt ? (
                        <>
                          {dateTime(s.endedAt)} <span className="muted">({s.endReason?.replace("_", " ")})</span>
                        </>
                      ) : (
                        <span className="badge status-idle">live</span>
                      )}
                    </td>
                    <td data-label="Tokens">{count(s.tokens)}</td>
                    <td data-label="Cost">{usd(s.costUsd)}</td>
                    <td data-label="Runs">
                      {count(s.runs)} {s.runs > 0 ? <span className="muted">({s.successes} ok)</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      {sessions.hasNextPage ? (
        <div className="load-more">
          <button type="button" onClick={() => void sessions.fetchNextPage()} disabled={sessions.isFetchingNextPage}>
            {sessions.isFetchingNextPage ? "Loading…" : "Older sessions"}
          </button>
        </div>
      ) : null}
    </section>
  );
}
