"use client";
import { count, usd } from "~/lib/format";

export type BudgetLevel = "ok" | "notice" | "warn" | "over";

/** The colour steps follow the alert thresholds: 80 %, 90 % and 100 %. */
export function budgetLevel(ratio: number): BudgetLevel {
  if (ratio >= 1) return "over";
  if (ratio >= 0.9) return "warn";
  if (ratio >= 0.8) return "notice";
  return "ok";
}

interface BudgetBarProps {
  label: string;
  used: number;
  limit: number;
  unit: "usd" | "tokens";
  compact?: boolean;
}

/** Used vs limit as a bar, coloured at 80/90/100 %, with an "over budget" badge at 100 %. */
export function BudgetBar({ label, used, limit, unit, compact = false }: BudgetBarProps) {
  const ratio = limit > 0 ? used / limit : 0;
  const level = budgetLevel(ratio);
  const fmt = unit === "usd" ? usd : count;
  const pct = Math.round(ratio * 100);
  return (
    <div className={`budget budget-${level}${compact ? " budget-compact" : ""}`} data-budget={unit} data-level={level}>
      <div className="budget-head">
        <span className="budget-label">{label}</span>
        <span className="budget-numbers">
          {fmt(used)} <span className="muted">of {fmt(limit)}</span>
          {level === "over" ? <span className="badge budget-over-badge">over budget</span> : null}
        </span>
      </div>
      <div
        className="budget-track"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.min(pct, 100)}
        aria-valuetext={`${pct} % (${fmt(used)} of ${fmt(limit)})`}
      >
        <div className="budget-fill" style={{ width: `${Math.min(ratio, 1) * 100}%` }} />
      </div>
    </div>
  );
}
