import { INGEST_MAX_ITEMS, IngestInputSchema } from "@tower/shared";
import type { z } from "zod";

/**
 * An `ingest.report` body the server did not parse: its bytes and the item count its sender gave
 * (`REPORT_ITEMS_HEADER`). Parsing and checking a batch of 1,000 reports takes the event loop
 * several milliseconds and leaves thousands of objects for its garbage collector; a policy check
 * waiting behind that misses its 5 ms. So the bytes go to the ingest writer's thread, which parses,
 * checks and stores them (check-reports.ts), and the count is all the event loop needs (the throttle).
 */
export class RawReports {
  constructor(
    readonly bytes: Uint8Array,
    readonly items: number,
  ) {}
}

/**
 * For the transport: how to read an `ingest.report` body sent with `header` (the value of
 * `REPORT_ITEMS_HEADER`), or undefined to parse it as any other when the header is missing or is
 * not a count the API would take (the usual parse then answers what is wrong with the body).
 */
export function rawReportsReader(
  header: string | string[] | undefined,
): ((bytes: Uint8Array) => RawReports) | undefined {
  if (typeof header !== "string" || !/^[1-9]\d{0,5}$/.test(header)) return undefined;
  const items = Number(header);
  if (items > INGEST_MAX_ITEMS) return undefined;
  return (bytes) => new RawReports(bytes, items);
}

type IngestInput = z.input<typeof IngestInputSchema>;
type ParsedReports = z.output<typeof IngestInputSchema> | { raw: RawReports };

/**
 * `ingest.report`'s input: the JSON body as before, or the transport's `RawReports` passed through
 * (as `{ raw }`, an object: tRPC merges inputs by spreading them). Clients see only the JSON shape.
 */
export const ReportInput = {
  _input: undefined as unknown as IngestInput,
  _output: undefined as unknown as ParsedReports,
  parse(value: unknown): ParsedReports {
    return value instanceof RawReports ? { raw: value } : IngestInputSchema.parse(value);
  },
};
