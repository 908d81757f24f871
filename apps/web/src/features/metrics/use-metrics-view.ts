"use client";
import { oneOf, text, useSearchState, type Codecs } from "~/lib/search-params";
import { RANGES, SCOPES, type RangeKey, type Scope } from "./hooks";

/** The metrics page's view as the URL holds it: `/metrics?range=7d&scope=by-model`. */
export interface MetricsView {
  range: RangeKey;
  scope: Scope;
  /** The agent of the "One agent" scope (kept while another scope is shown, as the picker keeps it). */
  agentId: string;
}

/** A range or scope the page does not offer is ignored; the agent id has `metrics.aggregate`'s limit (IdSchema). */
const CODECS: Codecs<MetricsView> = {
  range: oneOf(Object.keys(RANGES) as RangeKey[], "24h"),
  scope: oneOf(Object.keys(SCOPES) as Scope[], "fleet"),
  agentId: text(64),
};

/** The chosen range, scope and agent, in the URL; each change is one history entry. */
export function useMetricsView() {
  return useSearchState(CODECS);
}
