"use client";
import type { PolicyDocument, PolicyRule, PolicyVersion } from "@tower/shared";
import { describePolicyChanges, diffPolicies } from "@tower/shared/domain";
import { useMemo, useState } from "react";
import { useSavePolicy } from "./hooks";
import { policyErrors, type PolicyErrors } from "./policy-errors";

/** A rule being edited, with a key of its own: its id may be what is being changed. */
export interface DraftRule {
  key: string;
  rule: PolicyRule;
}

interface Draft {
  /** The version the edit started from: saving over a newer one is refused. */
  base: PolicyVersion;
  defaults: Omit<PolicyDocument, "rules">;
  rules: DraftRule[];
}

let nextKey = 0;
const keyed = (rule: PolicyRule): DraftRule => ({ key: `r${++nextKey}`, rule });

function draftOf(base: PolicyVersion): Draft {
  const { rules, ...defaults } = base.document;
  return { base, defaults, rules: rules.map(keyed) };
}

export const documentOf = (draft: Pick<Draft, "defaults" | "rules">): PolicyDocument => ({
  ...draft.defaults,
  rules: draft.rules.map((r) => r.rule),
});

/**
 * The policy being edited: made from the version in force at the first change, kept apart from
 * it until saved (with the version it started from, so a save over someone else's is refused and
 * said so), or discarded. The server's field errors are kept by rule, so they follow a rule moved
 * after the failed save.
 */
export function usePolicyDraft(projectId: string, current: PolicyVersion | undefined) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<DraftErrors | null>(null);
  const save = useSavePolicy(projectId);
  const [saved, setSaved] = useState<{ version: number; changed: boolean } | null>(null);

  const fromCurrent = useMemo(() => (current ? draftOf(current) : null), [current]);
  const view = draft ?? fromCurrent;
  const changes = useMemo(() => (draft ? diffPolicies(draft.base.document, documentOf(draft)) : []), [draft]);
  const dirty = changes.length > 0;
  /** Someone saved a newer version while this one was being edited. */
  const stale = draft !== null && current !== undefined && current.version !== draft.base.version;

  function edit(change: (draft: Draft) => Draft) {
    if (!fromCurrent) return;
    setSaved(null);
    setDraft((existing) => change(existing ?? fromCurrent));
  }

  const actions = {
    setDefaults: (patch: Partial<Draft["defaults"]>) => edit((d) => ({ ...d, defaults: { ...d.defaults, ...patch } })),
    addRule: (rule: PolicyRule) => edit((d) => ({ ...d, rules: [...d.rules, keyed(rule)] })),
    updateRule: (key: string, rule: PolicyRule) =>
      edit((d) => ({ ...d, rules: d.rules.map((r) => (r.key === key ? { key, rule } : r)) })),
    removeRule: (key: string) => edit((d) => ({ ...d, rules: d.rules.filter((r) => r.key !== key) })),
    moveRule: (key: string, by: -1 | 1) =>
      edit((d) => {
        const from = d.rules.findIndex((r) => r.key === key);
        const to = from + by;
        if (from < 0 || to < 0 || to >= d.rules.length) return d;
        const rules = [...d.rules];
        [rules[from], rules[to]] = [rules[to]!, rules[from]!];
        return { ...d, rules };
      }),
    discard: () => {
      setDraft(null);
      setErrors(null);
      save.reset();
    },
    save: () => {
      if (!draft) return;
      const rules = draft.rules;
      save.mutate(
        { projectId, document: documentOf(draft), expectedVersion: draft.base.version },
        {
          onSuccess: (result) => {
            setDraft(null);
            setErrors(null);
            setSaved({ version: result.policy.version, changed: result.changed });
          },
          onError: (error) => setErrors(keyErrors(policyErrors(error), rules)),
        },
      );
    },
  };

  return {
    view,
    editing: draft !== null,
    dirty,
    stale,
    summary: dirty ? describePolicyChanges(changes) : "",
    errors,
    saving: save.isPending,
    saved,
    ...actions,
  };
}

interface DraftErrors {
  /** Messages about the defaults (`defaultReason`) and the document, by path. */
  paths: Record<string, string>;
  /** Each rule's messages under its key, by field (`reason`, `match.tools`; "" for the rule itself). */
  byRule: Record<string, Record<string, string>>;
  form: string | null;
}

/** The errors of a failed save with each rule's under its key (`rules.2.reason` → key of rule 3: `reason`). */
function keyErrors(errors: PolicyErrors, rules: DraftRule[]): DraftErrors {
  const byRule: Record<string, Record<string, string>> = {};
  const paths: Record<string, string> = {};
  for (const [path, message] of Object.entries(errors.paths)) {
    const match = /^rules\.(\d+)(?:\.(.*))?$/.exec(path);
    const rule = match ? rules[Number(match[1])] : undefined;
    if (!match || !rule) {
      paths[path] = message;
      continue;
    }
    const field = (match[2] ?? "").replace(/^(match\.\w+)\..*$/, "$1");
    (byRule[rule.key] ??= {})[field] ??= message;
  }
  return { paths, byRule, form: errors.form };
}

export type PolicyDraft = ReturnType<typeof usePolicyDraft>;
