import type { PolicyDocument, PolicyRule } from "./policy";

/** One difference between two versions of a policy, as the version history shows it. */
export type PolicyChange =
  | { kind: "added"; ruleId: string; position: number }
  | { kind: "removed"; ruleId: string }
  | { kind: "changed"; ruleId: string; fields: string[] }
  | { kind: "moved"; ruleId: string; from: number; to: number }
  | { kind: "default"; fields: string[] };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function changedFields(before: PolicyRule, after: PolicyRule): string[] {
  const fields: string[] = [];
  for (const key of ["description", "effect", "reason", "ttlSeconds"] as const) {
    if (!same(before[key], after[key])) fields.push(key);
  }
  const keys = new Set([...Object.keys(before.match), ...Object.keys(after.match)]) as Set<keyof PolicyRule["match"]>;
  for (const key of keys) if (!same(before.match[key], after.match[key])) fields.push(`match.${key}`);
  return fields;
}

/**
 * What changed from `before` to `after`: rules added, removed, edited and moved (by id; positions
 * count from 1), and the default's fields. Of the rules both versions keep, the longest run still in
 * the old order stayed; the others moved (one rule dragged up is one move, not a shift of all).
 */
export function diffPolicies(before: PolicyDocument, after: PolicyDocument): PolicyChange[] {
  const changes: PolicyChange[] = [];
  const defaults = (["defaultEffect", "defaultReason", "defaultTtlSeconds", "approverRole"] as const).filter(
    (key) => !same(before[key], after[key]),
  );
  if (defaults.length > 0) changes.push({ kind: "default", fields: defaults });
  const beforeById = new Map(before.rules.map((rule) => [rule.id, rule]));
  const afterIds = new Set(after.rules.map((rule) => rule.id));
  for (const rule of before.rules) if (!afterIds.has(rule.id)) changes.push({ kind: "removed", ruleId: rule.id });
  const keptBefore = before.rules.filter((rule) => afterIds.has(rule.id)).map((rule) => rule.id);
  const keptAfter = after.rules.filter((rule) => beforeById.has(rule.id)).map((rule) => rule.id);
  const stayed = longestInOrder(keptAfter.map((id) => keptBefore.indexOf(id))).map((i) => keptAfter[i]);
  after.rules.forEach((rule, i) => {
    const old = beforeById.get(rule.id);
    if (!old) return changes.push({ kind: "added", ruleId: rule.id, position: i + 1 });
    const fields = changedFields(old, rule);
    if (fields.length > 0) changes.push({ kind: "changed", ruleId: rule.id, fields });
    if (!stayed.includes(rule.id)) {
      const from = before.rules.findIndex((r) => r.id === rule.id);
      changes.push({ kind: "moved", ruleId: rule.id, from: from + 1, to: i + 1 });
    }
  });
  return changes;
}

/** Indexes of a longest strictly increasing subsequence of `values` (O(n²): n is at most 200 rules). */
function longestInOrder(values: readonly number[]): number[] {
  const length = values.map(() => 1);
  const previous = values.map(() => -1);
  let best = -1;
  for (let i = 0; i < values.length; i++) {
    for (let j = 0; j < i; j++) {
      if (values[j]! < values[i]! && length[j]! + 1 > length[i]!) {
        length[i] = length[j]! + 1;
        previous[i] = j;
      }
    }
    if (best === -1 || length[i]! > length[best]!) best = i;
  }
  const indexes: number[] = [];
  for (let i = best; i !== -1; i = previous[i]!) indexes.unshift(i);
  return indexes;
}

/** How a changed field reads to a person (the dashboard's history and save bar, the stored summary). */
const FIELD_WORDS: Record<string, string> = {
  defaultEffect: "the default effect",
  defaultReason: "the default reason",
  defaultTtlSeconds: "the default approval lifetime",
  approverRole: "who may decide approvals",
  ttlSeconds: "approval lifetime",
  "match.costAbove": "cost above",
};
const inWords = (fields: readonly string[]) =>
  fields.map((field) => FIELD_WORDS[field] ?? field.replace(/^match\./, "")).join(", ");

/** The changes in words, one clause each ("added rule no-prod (#1); changed rule x: effect, tools"). */
export function describePolicyChanges(changes: readonly PolicyChange[]): string {
  if (changes.length === 0) return "no change";
  return changes
    .map((change) => {
      switch (change.kind) {
        case "added":
          return `added rule ${change.ruleId} (#${change.position})`;
        case "removed":
          return `removed rule ${change.ruleId}`;
        case "changed":
          return `changed rule ${change.ruleId}: ${inWords(change.fields)}`;
        case "moved":
          return `moved rule ${change.ruleId} from #${change.from} to #${change.to}`;
        case "default":
          return `changed ${inWords(change.fields)}`;
      }
    })
    .join("; ");
}
