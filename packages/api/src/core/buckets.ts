import { MAX_BUCKETS } from "@tower/shared";
import { DomainError } from "./errors";

/** Refuses a time range cut into more buckets than a chart or an answer should hold. */
export function assertBucketCount(from: number, to: number, bucketMs: number) {
  if ((to - from) / bucketMs > MAX_BUCKETS) {
    throw new DomainError(
      "BAD_REQUEST",
      `More than ${MAX_BUCKETS} buckets; choose a coarser bucket or a shorter range`,
      { field: "bucket" },
    );
  }
}
