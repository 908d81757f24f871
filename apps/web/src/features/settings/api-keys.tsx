"use client";
import type { ApiKeyScope } from "@tower/shared";
import { API_KEY_EXPIRY_DAYS, API_KEY_SCOPE_LABELS, API_KEY_SCOPES, apiKeyState } from "@tower/shared/domain";
import { useState, type FormEvent } from "react";
import { errorMessage } from "~/lib/errors";
import { toFormErrors } from "~/lib/form-errors";
import type { RouterOutputs } from "~/lib/trpc";
import { ConfirmDialog } from "~/ui/confirm-dialog";
import { CopyButton } from "~/ui/copy-button";
import { Field, FormError } from "~/ui/field";
import { Empty, QueryView } from "~/ui/states";
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from "./hooks";

const date = (at: number | null | undefined) => (at ? new Date(at).toLocaleString() : "—");
const day = (at: number) => new Date(at).toLocaleDateString(undefined, { dateStyle: "medium" });

/** What the form offers first. The API's own default is no expiry, so older scripts keep working. */
const DEFAULT_EXPIRY_DAYS = 90;
type Expiry = `${(typeof API_KEY_EXPIRY_DAYS)[number]}` | "never";
const expiryLabel = (days: number) => (days % 365 === 0 ? `${days / 365} year` : `${days} days`);

/** "expires <date>", "expired <date>" or "never expires"; nothing for a revoked key. */
function ExpiryCell({ expiresAt, revoked, now }: { expiresAt: number | null; revoked: boolean; now: number }) {
  if (revoked) return <>—</>;
  if (expiresAt === null) return <span className="muted">never expires</span>;
  return (
    <time dateTime={new Date(expiresAt).toISOString()} title={date(expiresAt)}>
      {expiresAt <= now ? "expired" : "expires"} {day(expiresAt)}
    </time>
  );
}

/** "scout, scribe" → ["scout", "scribe"]; the server checks each name. */
const splitNames = (text: string) =>
  text
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);

const STATE_BADGE = { active: "status-idle", expired: "status-offline", revoked: "status-disabled" } as const;

/** The project's API keys: create one (its secret shown once), list them, revoke. */
export function ApiKeys({ projectId }: { projectId: string }) {
  const keys = useApiKeys(projectId, true);
  const create = useCreateApiKey(projectId);
  const revoke = useRevokeApiKey(projectId);
  const [name, setName] = useState("");
  // One scope per key in the dashboard (the API also takes combinations).
  const [scope, setScope] = useState<ApiKeyScope>("agent");
  const [agentNames, setAgentNames] = useState("");
  const [expiry, setExpiry] = useState<Expiry>(`${DEFAULT_EXPIRY_DAYS}`);
  const [created, setCreated] = useState<RouterOutputs["apiKey"]["create"] | null>(null);
  /** The key whose revocation waits for a yes. */
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const errors = toFormErrors(create.error);
  // Read at each render (the list refetches on every change), enough to tell expired keys apart.
  const now = Date.now();

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      {
        projectId,
        name,
        scopes: [scope],
        agentNames: scope === "agent" ? splitNames(agentNames) : undefined,
        expiresInDays: expiry === "never" ? null : Number(expiry),
      },
      {
        onSuccess: (key) => {
          setCreated(key);
          setName("");
        },
      },
    );
  }

  return (
    <section className="card" aria-labelledby="api-keys-title">
      <h2 id="api-keys-title">API keys</h2>
      <p className="muted">
        Agents and scripts use a project API key with the SDK. Give each agent an agent key bound to its name: it can
        run that agent and nothing else. A new key expires after {expiryLabel(DEFAULT_EXPIRY_DAYS)} unless you choose
        another lifetime or Never; an expired key stops working, like a revoked one.
      </p>
      <form className="inline-form" onSubmit={submit} noValidate>
        <FormError message={errors.form} />
        <Field label="Key name" errors={errors.fields.name}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} placeholder="ci-runner" />}
        </Field>
        <fieldset className="scopes">
          <legend>Who uses this key</legend>
          {API_KEY_SCOPES.map((option) => (
            <label key={option} className="check">
              <input
                type="radio"
                name="scope"
                value={option}
                checked={scope === option}
                onChange={() => setScope(option)}
              />
              {API_KEY_SCOPE_LABELS[option]}
            </label>
          ))}
          {errors.fields.scopes ? (
            <p className="field-error" role="alert">
              {errors.fields.scopes.join(" ")}
            </p>
          ) : null}
        </fieldset>
        {scope === "agent" ? (
          <Field label="Agents it runs" errors={errors.fields.agentNames}>
            {(p) => (
              <input
                {...p}
                value={agentNames}
                onChange={(e) => setAgentNames(e.target.value)}
                placeholder="scout, scribe"
              />
            )}
          </Field>
        ) : null}
        <Field label="Key expires in" errors={errors.fields.expiresInDays}>
          {(p) => (
            <select {...p} value={expiry} onChange={(e) => setExpiry(e.target.value as Expiry)}>
              {API_KEY_EXPIRY_DAYS.map((days) => (
                <option key={days} value={days}>
                  {expiryLabel(days)}
                  {days === DEFAULT_EXPIRY_DAYS ? " (default)" : ""}
                </option>
              ))}
              <option value="never">Never</option>
            </select>
          )}
        </Field>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create API key
        </button>
      </form>

      {created ? (
        <div className="secret" role="region" aria-label="New API key">
          <p className="warning">
            <strong>Copy this key now.</strong> It is shown only once; Tower stores only its hash.{" "}
            {created.expiresAt === null ? "It never expires." : `It expires ${date(created.expiresAt)}.`}
          </p>
          <label htmlFor="new-secret">New API key secret</label>
          <div className="secret-row">
            <input id="new-secret" readOnly value={created.secret} onFocus={(e) => e.target.select()} />
            <CopyButton text={created.secret} />
          </div>
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : null}

      <QueryView query={keys} loading="Loading keys…" empty={<Empty>No API keys yet.</Empty>}>
        {(list) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((key) => {
                  const state = apiKeyState(key, now);
                  return (
                    <tr key={key.id}>
                      <th scope="row" data-label="Name">
                        {key.name}
                      </th>
                      <td data-label="Prefix">
                        <code>{key.prefix}…</code>
                      </td>
                      <td data-label="Scopes">
                        {key.scopes.join(", ")}
                        {key.agentNames ? <span className="muted"> as {key.agentNames.join(", ")}</span> : null}
                      </td>
                      <td data-label="Created">{date(key.createdAt)}</td>
                      <td data-label="Last used">{date(key.lastUsedAt)}</td>
                      <td data-label="Expires">
                        <ExpiryCell expiresAt={key.expiresAt} revoked={state === "revoked"} now={now} />
                      </td>
                      <td data-label="Status">
                        <span className={`badge ${STATE_BADGE[state]}`}>{state}</span>
                      </td>
                      <td className="row-actions">
                        {state !== "active" ? null : (
                          <button
                            type="button"
                            className="danger-text"
                            aria-label={`Revoke ${key.name}`}
                            disabled={revoke.isPending}
                            onClick={() => {
                              revoke.reset();
                              setRevoking(key);
                            }}
                          >
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      {revoking ? (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          body="Software using this key stops working at once, and its open connections end. This cannot be undone."
          confirmLabel="Revoke key"
          pending={revoke.isPending}
          error={revoke.error ? errorMessage(revoke.error) : null}
          onConfirm={() => revoke.mutate({ projectId, id: revoking.id }, { onSuccess: () => setRevoking(null) })}
          onClose={() => setRevoking(null)}
        />
      ) : null}
    </section>
  );
}
