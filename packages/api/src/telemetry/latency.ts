/** Quarter-octave histogram buckets for execution times: about ±10 % resolution at any scale. */
export function latencyBucket(ms: number): number {
  return Math.floor(4 * Math.log2(ms + 1));
}

/** The middle of a bucket's range, in ms (the estimate reported for a quantile in that bucket). */
export function bucketValue(bucket: number): number {
  const low = 2 ** (bucket / 4) - 1;
  const high = 2 ** ((bucket + 1) / 4) - 1;
  return Math.round((low + high) / 2);
}

/** The q-quantile (0–1) of a histogram given as bucket → count, or null when it is empty. */
export function quantile(histogram: Map<number, number>, q: number): number | null {
  const total = [...histogram.values()].reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (const [bucket, count] of [...histogram].sort((a, b) => a[0] - b[0])) {
    seen += count;
    if (seen >= rank) return bucketValue(bucket);
  }
  return null;
}
