export const BUCKETS = ["minute", "hour", "day"] as const;
export type Bucket = (typeof BUCKETS)[number];
export const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** At most this many buckets per aggregate query, so a wide range needs a coarser bucket. */
export const MAX_BUCKETS = 2_000;
