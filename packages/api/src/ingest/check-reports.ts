import { describeInputProblem, findInputProblem, IngestInputSchema, ReportItemSchema } from "@tower/shared";
import { DomainError } from "../core/errors";
import type { CheckedReport, UncheckedReports } from "../core/ports";
import { describeIssues } from "../core/zod-issues";

/**
 * Validates reports one by one: nesting and Unicode first (as every input), then the schema. Runs
 * where the reports were parsed (the event loop, or the writer's thread for a raw body), so the
 * commit only stores.
 */
export function checkReports(items: unknown[]): CheckedReport[] {
  return items.map((raw) => {
    const rawId = raw && typeof raw === "object" ? (raw as { id?: unknown }).id : undefined;
    const id = typeof rawId === "string" ? rawId.slice(0, 64) : null;
    const problem = findInputProblem(raw);
    if (problem) return { id, reason: describeInputProblem(problem) };
    const parsed = ReportItemSchema.safeParse(raw);
    return parsed.success ? { id, item: parsed.data } : { id, reason: describeIssues(parsed.error) };
  });
}

/** An agent key's agents (`actsAs`): a report as any other agent is refused, alone like any bad report. */
export function refuseOtherAgents(checked: CheckedReport[], actsAs: readonly string[] | null): CheckedReport[] {
  if (!actsAs) return checked;
  return checked.map((report) =>
    report.item && !actsAs.includes(report.item.agent)
      ? {
          id: report.id,
          reason: `agent: this key cannot report as "${report.item.agent}"; it runs ${actsAs.join(", ")}`,
        }
      : report,
  );
}

// As the server's JSON bodies: UTF-8, a leading BOM dropped, and bytes that are not UTF-8 refused.
const decoder = new TextDecoder("utf-8", { fatal: true });
/** A raw body holds `items` and nothing else (its key says the project; no `projectId` beside). */
const RawBodySchema = IngestInputSchema.strict();

/**
 * Parses and checks a raw `ingest.report` body. A body the server would have refused whole (not
 * JSON, not `{ items: [...] }` with 1 to 1,000 items, other fields beside `items`), or that holds
 * another number of items than its sender said, is refused whole with BAD_REQUEST.
 */
export function checkRawReports({ bytes, items: announced, actsAs }: UncheckedReports): CheckedReport[] {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new DomainError("BAD_REQUEST", "The body is not valid UTF-8 text; nothing was stored");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new DomainError("BAD_REQUEST", `The body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = RawBodySchema.safeParse(body);
  if (!parsed.success) throw new DomainError("BAD_REQUEST", describeIssues(parsed.error));
  const { items } = parsed.data;
  if (items.length !== announced) {
    throw new DomainError("BAD_REQUEST", `The batch holds ${items.length} items, but its sender said ${announced}`);
  }
  return refuseOtherAgents(checkReports(items), actsAs);
}
