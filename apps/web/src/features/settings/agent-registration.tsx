"use client";
import { errorMessage } from "~/lib/errors";
import { FormError } from "~/ui/field";
import { useProjectSettings, useUpdateProjectSettings } from "./hooks";

/** Whether agent keys may create their agent on its first start, or an operator creates it first. */
export function AgentRegistration({ projectId }: { projectId: string }) {
  const settings = useProjectSettings(projectId);
  const update = useUpdateProjectSettings(projectId);
  const open = settings.data?.agentSelfRegistration;
  return (
    <section className="card" aria-labelledby="agent-registration-title">
      <h2 id="agent-registration-title">Agent registration</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={open ?? false}
          disabled={open === undefined || update.isPending}
          onChange={(e) => update.mutate({ projectId, agentSelfRegistration: e.target.checked })}
        />
        Agents may register themselves
      </label>
      <p className="muted">
        When on, an agent key creates its agent on the agent&apos;s first start, with the profile the agent sends.
        Either way, an agent key never changes an existing agent&apos;s role, tools, path scopes or budgets: only people
        and manage keys do.
      </p>
      <FormError message={update.error ? errorMessage(update.error) : undefined} />
    </section>
  );
}
