"use client";
import { errorMessage } from "~/lib/errors";
import { plural } from "~/lib/format";
import { useVerifyChain } from "./hooks";

/** "Verify chain": walks the project's hash chain on the server and says whether it is intact, or where it breaks. */
export function VerifyChain({ projectId }: { projectId: string }) {
  const verify = useVerifyChain(projectId);
  const result = verify.data;
  return (
    <div className="verify">
      <button type="button" onClick={() => void verify.refetch()} disabled={verify.isFetching}>
        {verify.isFetching ? "Verifying…" : "Verify chain"}
      </button>
      <span role="status" aria-live="polite" className="verify-result">
        {verify.isFetching ? null : verify.error ? (
          <span className="error">Could not verify: {errorMessage(verify.error)}</span>
        ) : result?.intact ? (
          <span className="verify-ok">
            Intact: {plural(result.rows, "row")}
            {result.checkpoint ? (
              <span className="muted"> (after a checkpoint through row {result.checkpoint.throughId})</span>
            ) : null}
          </span>
        ) : result ? (
          <span className="verify-broken">
            Broken at row {result.brokenAt}: {result.reason}
          </span>
        ) : null}
      </span>
    </div>
  );
}
