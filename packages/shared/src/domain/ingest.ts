export const OPERATION_TYPES = ["tool_use", "api_call", "file_access", "agent_spawn"] as const;
export const METRIC_TYPES = ["execution", "cost", "quality", "task_completion"] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

/** Most items one report batch may carry; a larger one is refused whole. */
export const INGEST_MAX_ITEMS = 1_000;

export const BUDGET_THRESHOLDS = [80, 90, 100] as const;

/**
 * Largest per-session sequence number a report may carry: 2^53 − 1, the largest integer a JSON
 * number holds exactly (a session reporting a million a second would take 285 years to reach it).
 */
export const REPORT_SEQ_MAX = Number.MAX_SAFE_INTEGER;
