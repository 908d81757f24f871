import type { Decision } from "@tower/shared";

export function DecisionBadge({ decision }: { decision: Decision | null }) {
  if (!decision) return <span className="muted">—</span>;
  return <span className={`badge decision-${decision}`}>{decision.replace("_", " ")}</span>;
}
