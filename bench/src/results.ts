/**
 * The figures every benchmark adds (one value per run), written to results.json after each
 * benchmark and printed as the closing table.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { QUICK, RESULTS_PATH, RUNS, SIZES } from "./config";
import { summarize } from "./stats";

export interface Target {
  op: ">=" | "<=";
  value: number;
  text: string;
}
interface Figure {
  bench: string;
  name: string;
  unit: string;
  values: number[];
  target?: Target;
  note?: string;
}
const figures: Figure[] = [];

export function add(bench: string, name: string, unit: string, value: number, target?: Target, note?: string) {
  let figure = figures.find((f) => f.bench === bench && f.name === name);
  if (!figure) figures.push((figure = { bench, name, unit, values: [], target, note }));
  figure.values.push(value);
  if (note) figure.note = note;
}
export const atLeast = (value: number, unit: string): Target => ({
  op: ">=",
  value,
  text: `≥ ${value.toLocaleString("en-US")} ${unit}`,
});
export const atMost = (value: number, unit: string): Target => ({
  op: "<=",
  value,
  text: `≤ ${value.toLocaleString("en-US")} ${unit}`,
});

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function met(figure: Figure, median: number): boolean | null {
  if (!figure.target) return null;
  return figure.target.op === ">=" ? median >= figure.target.value : median <= figure.target.value;
}

export type Machine = { cpus: number; model: string; memoryGB: number; node: string; platform: string };

/** Written after every benchmark, so a long run that is cut short still leaves its figures. */
export function writeResults(began: number, machine: Machine, extra: Record<string, unknown> = {}) {
  const results = figures.map((f) => {
    const s = summarize(f.values);
    return {
      bench: f.bench,
      name: f.name,
      unit: f.unit,
      median: s.median,
      min: s.min,
      max: s.max,
      runs: f.values.length,
      values: f.values,
      target: f.target?.text ?? null,
      met: met(f, s.median),
      ...(f.note ? { note: f.note } : {}),
    };
  });
  const durationSeconds = Math.round((Date.now() - began) / 1000);
  const out = {
    date: new Date().toISOString(),
    machine,
    quick: QUICK,
    runs: RUNS,
    sizes: SIZES,
    durationSeconds,
    results,
    ...extra,
  };
  writeFileSync(RESULTS_PATH, JSON.stringify(out, null, 2) + "\n");
  return results;
}

/** The closing table on stdout: one line per figure, median and spread, target and whether it is met. */
export function printTable(results: ReturnType<typeof writeResults>, machine: Machine, durationSeconds: number) {
  const rows = results.map((r) => [
    r.bench,
    r.name,
    `${fmt(r.median)} ${r.unit}`,
    r.runs > 1 ? `${fmt(r.min)}–${fmt(r.max)}` : "",
    r.target ?? "",
    r.met === null ? "" : r.met ? "yes" : "NO",
  ]);
  const header = ["benchmark", "figure", "median", "min–max", "target", "met"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(
    `\nTower bench — ${machine.cpus} × ${machine.model}, ${machine.memoryGB} GB, node ${machine.node}, ${RUNS} run(s)${QUICK ? " (quick)" : ""}, ${durationSeconds} s\n`,
  );
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
  console.log(`\nwritten to ${path.relative(process.cwd(), RESULTS_PATH)}`);
}
