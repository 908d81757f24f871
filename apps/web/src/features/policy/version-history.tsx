"use client";
import type { PolicyChange, PolicyDocument, PolicyRule } from "@tower/shared";
import { describePolicyChanges, diffPolicies } from "@tower/shared/domain";
import { useMemo, useState } from "react";
import { dateTimeOf } from "~/lib/format";
import { ErrorText, Loading, QueryView } from "~/ui/states";
import { usePolicyVersion, usePolicyVersions } from "./hooks";

interface Pair {
  from: number;
  to: number;
}

const show = (value: unknown) =>
  value === undefined ? "—" : typeof value === "string" ? value : JSON.stringify(value);

function fieldValue(rule: PolicyRule | undefined, field: string): unknown {
  if (!rule) return undefined;
  if (field.startsWith("match.")) return rule.match[field.slice(6) as keyof PolicyRule["match"]];
  return rule[field as keyof PolicyRule];
}

/** One change in words, and for an edit each field's value before and after. */
function ChangeItem({
  change,
  before,
  after,
}: {
  change: PolicyChange;
  before: PolicyDocument;
  after: PolicyDocument;
}) {
  const text = describePolicyChanges([change]);
  let fields: { field: string; old: unknown; now: unknown }[] = [];
  if (change.kind === "changed") {
    const old = before.rules.find((r) => r.id === change.ruleId);
    const now = after.rules.find((r) => r.id === change.ruleId);
    fields = change.fields.map((field) => ({ field, old: fieldValue(old, field), now: fieldValue(now, field) }));
  } else if (change.kind === "default") {
    fields = change.fields.map((field) => ({
      field,
      old: before[field as keyof PolicyDocument],
      now: after[field as keyof PolicyDocument],
    }));
  }
  return (
    <li className={`change change-${change.kind}`}>
      {text}
      {fields.length > 0 ? (
        <ul className="change-fields">
          {fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: <del>{show(f.old)}</del> → <ins>{show(f.now)}</ins>
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/** What changed from one version to another (either order), rule by rule. */
function VersionDiff({ projectId, pair }: { projectId: string; pair: Pair }) {
  const from = usePolicyVersion(projectId, pair.from);
  const to = usePolicyVersion(projectId, pair.to);
  const changes = useMemo(
    () => (from.data && to.data ? diffPolicies(from.data.document, to.data.document) : null),
    [from.data, to.data],
  );
  if (from.error || to.error) return <ErrorText error={from.error ?? to.error} context="Could not load the versions" />;
  if (!changes || !from.data || !to.data) return <Loading label="Comparing…" />;
  return (
    <div className="version-diff" aria-live="polite">
      <h3>
        Changes from version {pair.from} to version {pair.to}
      </h3>
      {changes.length === 0 ? (
        <p className="muted">No change.</p>
      ) : (
        <ul aria-label={`Changes from version ${pair.from} to version ${pair.to}`}>
          {changes.map((change, i) => (
            <ChangeItem key={i} change={change} before={from.data.document} after={to.data.document} />
          ))}
        </ul>
      )}
    </div>
  );
}

/** Every saved version with who saved it and its summary; compare any two, or one with the one before. */
export function VersionHistory({ projectId }: { projectId: string }) {
  const versions = usePolicyVersions(projectId);
  const items = useMemo(() => versions.data?.pages.flatMap((p) => p.items) ?? [], [versions.data]);
  const [pair, setPair] = useState<Pair | null>(null);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const latest = items[0]?.version;
  const fromValue = from || (latest !== undefined && latest > 0 ? String(latest - 1) : "");
  const toValue = to || (latest !== undefined ? String(latest) : "");

  return (
    <section className="card" aria-labelledby="versions-title">
      <h2 id="versions-title">Version history</h2>
      <QueryView
        query={{ isPending: versions.isPending, error: versions.error, data: items }}
        loading="Loading versions…"
        failure="Could not load the versions"
      >
        {(loaded) => (
          <>
            <form
              className="inline-form compare-form"
              onSubmit={(e) => {
                e.preventDefault();
                if (fromValue && toValue) setPair({ from: Number(fromValue), to: Number(toValue) });
              }}
            >
              <label>
                From version
                <select value={fromValue} onChange={(e) => setFrom(e.target.value)}>
                  {loaded.map((v) => (
                    <option key={v.version} value={v.version}>
                      {v.version}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                To version
                <select value={toValue} onChange={(e) => setTo(e.target.value)}>
                  {loaded.map((v) => (
                    <option key={v.version} value={v.version}>
                      {v.version}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" disabled={loaded.length < 2}>
                Compare
              </button>
            </form>
            {pair ? <VersionDiff projectId={projectId} pair={pair} /> : null}
            <ol className="plain version-list" aria-label="Versions">
              {loaded.map((v) => (
                <li key={v.version} data-version={v.version}>
                  <div>
                    <strong>Version {v.version}</strong>
                    {v.version === latest ? <span className="badge">in force</span> : null}{" "}
                    <span className="muted">
                      {v.version === 0 ? "built-in default" : `${v.actorName} · ${dateTimeOf(v.createdAt)}`}
                    </span>
                  </div>
                  {v.version > 0 ? <p className="version-summary">{v.summary}</p> : null}
                  {v.version > 0 ? (
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => setPair({ from: v.version - 1, to: v.version })}
                    >
                      Changes from previous
                    </button>
                  ) : null}
                </li>
              ))}
            </ol>
            {versions.hasNextPage ? (
              <div className="load-more">
                <button
                  type="button"
                  onClick={() => void versions.fetchNextPage()}
                  disabled={versions.isFetchingNextPage}
                >
                  Older versions
                </button>
              </div>
            ) : null}
          </>
        )}
      </QueryView>
    </section>
  );
}
