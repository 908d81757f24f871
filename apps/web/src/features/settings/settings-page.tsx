"use client";
import type { ApiKeyScope } from "@tower/shared";
import { API_KEY_EXPIRY_DAYS, API_KEY_SCOPE_LABELS, API_KEY_SCOPES, apiKeyState, hasRole } from "@tower/shared/domain";
import { useState, type FormEvent } from "react";
import { useProject } from "~/features/shell/project";
import { errorMessage, toFormErrors } from "~/lib/errors";
import type { RouterOutputs } from "~/lib/trpc";
import { CopyButton } from "~/ui/copy-button";
import { Field, FormError } from "~/ui/field";
import { useApiKeys, useCreateApiKey, useCreateInvite, useInvites, useRevokeApiKey, useRevokeInvite } from "./hooks";
import { AccountSecurity } from "./account-security";
import { AgentRegistration } from "./agent-registration";
import { MemberList } from "./members";
import { PriceTable } from "./price-table";

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

function ApiKeys({ projectId }: { projectId: string }) {
  const keys = useApiKeys(projectId, true);
  const create = useCreateApiKey(projectId);
  const revoke = useRevokeApiKey(projectId);
  const [name, setName] = useState("");
  // One scope per key in the dashboard (the API also takes combinations).
  const [scope, setScope] = useState<ApiKeyScope>("agent");
  const [agentNames, setAgentNames] = useState("");
  const [expiry, setExpiry] = useState<Expiry>(`${DEFAULT_EXPIRY_DAYS}`);
  const [created, setCreated] = useState<RouterOutputs["apiKey"]["create"] | null>(null);
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

      {keys.isPending ? (
        <p className="loading">Loading keys…</p>
      ) : keys.error ? (
        <p className="error" role="alert">
          {errorMessage(keys.error)}
        </p>
      ) : keys.data.length === 0 ? (
        <p className="empty">No API keys yet.</p>
      ) : (
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
              {keys.data.map((key) => {
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
                            if (window.confirm(`Revoke the key "${key.name}"? Software using it stops working.`))
                              revoke.mutate({ projectId, id: key.id });
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
    </section>
  );
}

function Invites({ projectId }: { projectId: string }) {
  const invites = useInvites(projectId, true);
  const create = useCreateInvite(projectId);
  const revoke = useRevokeInvite(projectId);
  const [role, setRole] = useState<"admin" | "operator" | "viewer">("operator");
  const [hours, setHours] = useState(72);
  const [link, setLink] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { projectId, role, expiresInHours: hours },
      // The token goes in the fragment, which browsers never send to a server: it stays out of logs.
      { onSuccess: (invite) => setLink(`${window.location.origin}/invite#${invite.token}`) },
    );
  }

  return (
    <section className="card" aria-labelledby="invites-title">
      <h2 id="invites-title">Invites</h2>
      <p className="muted">
        An invite link lets one person create an account (or join with an existing one) in this project.
      </p>
      <form className="inline-form" onSubmit={submit}>
        <FormError message={create.error ? errorMessage(create.error) : null} />
        <label>
          Invite role
          <select value={role} onChange={(e) => setRole(e.target.value as typeof role)}>
            <option value="viewer">viewer</option>
            <option value="operator">operator</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <label>
          Expires in
          <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            <option value={24}>1 day</option>
            <option value={72}>3 days</option>
            <option value={168}>7 days</option>
            <option value={720}>30 days</option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create invite link
        </button>
      </form>
      {link ? (
        <div className="secret">
          <label htmlFor="invite-link">Invite link</label>
          <div className="secret-row">
            <input id="invite-link" readOnly value={link} onFocus={(e) => e.target.select()} />
            <CopyButton text={link} />
          </div>
        </div>
      ) : null}
      {invites.isPending ? (
        <p className="loading">Loading invites…</p>
      ) : invites.error ? (
        <p className="error" role="alert">
          {errorMessage(invites.error)}
        </p>
      ) : invites.data.length === 0 ? (
        <p className="empty">No open invites.</p>
      ) : (
        <ul className="members">
          {invites.data.map((invite) => (
            <li key={invite.id}>
              <span>
                <span className="badge">{invite.role}</span>{" "}
                <span className="muted">
                  created {date(invite.createdAt)}, expires {date(invite.expiresAt)}
                </span>
              </span>
              <button
                type="button"
                className="danger-text"
                disabled={revoke.isPending}
                onClick={() => revoke.mutate({ projectId, id: invite.id })}
              >
                Revoke invite
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function SettingsPage() {
  const { current } = useProject();
  const isAdmin = hasRole(current.role, "admin");
  return (
    <section className="page">
      <div className="page-head">
        <h1>Settings</h1>
        <p className="muted">{current.projectName}</p>
      </div>
      {isAdmin ? (
        <ApiKeys projectId={current.projectId} />
      ) : (
        <p className="card muted">Only project admins can manage API keys and invites.</p>
      )}
      <MemberList projectId={current.projectId} myRole={current.role} />
      {isAdmin ? <AgentRegistration projectId={current.projectId} /> : null}
      {isAdmin ? <Invites projectId={current.projectId} /> : null}
      <PriceTable projectId={current.projectId} canEdit={isAdmin} />
      <AccountSecurity />
    </section>
  );
}
