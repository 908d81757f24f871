/** Latency histogram in 0.1 ms steps up to 60 s: cheap to fill with millions of samples and to merge across processes. */
export const HIST_STEP_MS = 0.1;
export const HIST_SIZE = 600_000;

export function newHistogram(): number[] {
  return new Array<number>(HIST_SIZE).fill(0);
}

export function record(hist: number[], ms: number): void {
  const i = Math.min(HIST_SIZE - 1, Math.max(0, Math.floor(ms / HIST_STEP_MS)));
  hist[i] = (hist[i] ?? 0) + 1;
}

/** Only the non-empty buckets, for sending over IPC. */
export function compact(hist: number[]): [number, number][] {
  const out: [number, number][] = [];
  hist.forEach((count, i) => {
    if (count > 0) out.push([i, count]);
  });
  return out;
}

export function merge(target: number[], sparse: [number, number][]): void {
  for (const [i, count] of sparse) target[i] = (target[i] ?? 0) + count;
}

export function histPercentile(hist: number[], p: number): number {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i] ?? 0;
    if (seen >= rank) return (i + 1) * HIST_STEP_MS;
  }
  return Number.NaN;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function summarize(values: number[]): { median: number; min: number; max: number } {
  return { median: percentile(values, 50), min: Math.min(...values), max: Math.max(...values) };
}

/** A wall-clock time in fractional milliseconds, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
