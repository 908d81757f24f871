"use client";
import type { PolicyGrant } from "@tower/shared";
import { useState } from "react";
import { useNow } from "~/lib/approval-feed";
import { errorMessage } from "~/lib/errors";
import { ConfirmDialog } from "~/ui/dialogs";
import { Empty, QueryView } from "~/ui/states";
import { timeLeft } from "./format";
import { useGrants, useRevokeGrant } from "./hooks";

/**
 * The grants in force ("this agent may use this tool for N minutes", given with an approval), live,
 * each with the time left and a revoke button for operators.
 */
export function ActiveGrants({
  projectId,
  canRevoke,
  agentId,
}: {
  projectId: string;
  canRevoke: boolean;
  agentId?: string;
}) {
  const { query, items } = useGrants(projectId, agentId);
  const now = useNow(1_000, items.length > 0);
  const revoke = useRevokeGrant(projectId);
  const [confirming, setConfirming] = useState<PolicyGrant | null>(null);
  const active = items.filter((grant) => grant.revokedAt === null && grant.expiresAt > now);

  return (
    <section className="card" aria-labelledby="grants-title">
      <h2 id="grants-title">Active grants</h2>
      <QueryView
        query={{ isPending: query.isPending, error: query.error, data: active }}
        loading="Loading grants…"
        failure="Could not load grants"
        empty={<Empty line>No grants in force. Approving with “also allow” makes one.</Empty>}
      >
        {(grants) => (
          <ul className="plain grant-list" aria-label="Active grants">
            {grants.map((grant) => (
              <li key={grant.id} data-grant={grant.id}>
                <span>
                  <strong>{grant.agentName}</strong> may use <code>{grant.tool}</code>{" "}
                  <span className="muted">
                    · {timeLeft(grant.expiresAt, now)} · by {grant.createdByName}
                  </span>
                </span>
                {canRevoke ? (
                  <button type="button" className="danger" onClick={() => setConfirming(grant)}>
                    Revoke
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </QueryView>
      {query.hasNextPage ? (
        <div className="load-more">
          <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
            Load more
          </button>
        </div>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title="Revoke this grant?"
          body={`${confirming.agentName} will need approval again to use ${confirming.tool} (as the policy says).`}
          confirmLabel="Revoke grant"
          pending={revoke.isPending}
          error={revoke.error ? errorMessage(revoke.error) : null}
          onConfirm={() => revoke.mutate({ projectId, id: confirming.id }, { onSuccess: () => setConfirming(null) })}
          onClose={() => {
            setConfirming(null);
            revoke.reset();
          }}
        />
      ) : null}
    </section>
  );
}
