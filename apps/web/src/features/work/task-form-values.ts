import type { MissedFirePolicy, Task, TaskCreateInput, TaskTargetKind } from "@tower/shared";
import { jsonBytes, WORK_LIMITS } from "@tower/shared/domain";

// The task form's values as typed (text), checked and turned into the fields `task.create` and
// `task.update` take. Only what a person often gets wrong is checked here (JSON, whole numbers);
// the server checks everything and its messages appear at the same fields.

export interface TaskValues {
  name: string;
  description: string;
  targetKind: TaskTargetKind;
  targetValue: string;
  input: string;
  priority: string;
  maxAttempts: string;
  backoffSeconds: string;
  maxDurationSeconds: string;
  queuedTtlSeconds: string;
  cron: string;
  timezone: string;
  missedFires: MissedFirePolicy;
  paused: boolean;
}

export type TaskFields = Omit<Required<TaskCreateInput>, "projectId">;

/** The fields the form shows; a server message about any other goes above the form. */
export const TASK_FIELDS = [
  "name",
  "description",
  "target",
  "input",
  "priority",
  "maxAttempts",
  "backoffSeconds",
  "maxDurationSeconds",
  "queuedTtlSeconds",
  "cron",
  "timezone",
  "missedFires",
  "paused",
] as const;

/** The browser's own time zone, the likeliest one for a new schedule. */
function localZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** A new task: the server's defaults. */
export function emptyValues(): TaskValues {
  return {
    name: "",
    description: "",
    targetKind: "any",
    targetValue: "",
    input: "{}",
    priority: "0",
    maxAttempts: "1",
    backoffSeconds: "10",
    maxDurationSeconds: "3600",
    queuedTtlSeconds: "",
    cron: "",
    timezone: localZone(),
    missedFires: "run_once",
    paused: false,
  };
}

export function fromTask(task: Task): TaskValues {
  return {
    name: task.name,
    description: task.description,
    targetKind: task.target.kind,
    targetValue: task.target.value ?? "",
    input: JSON.stringify(task.input, null, 2),
    priority: String(task.priority),
    maxAttempts: String(task.maxAttempts),
    backoffSeconds: String(task.backoffSeconds),
    maxDurationSeconds: String(task.maxDurationSeconds),
    queuedTtlSeconds: task.queuedTtlSeconds === null ? "" : String(task.queuedTtlSeconds),
    cron: task.cron ?? "",
    timezone: task.timezone,
    missedFires: task.missedFires,
    paused: task.paused,
  };
}

const WHOLE = /^-?\d+$/;

/** JSON text as an object (a run's or a step's input), or why not. */
export function parseObject(text: string): { value: Record<string, unknown> } | { error: string } {
  if (!text.trim()) return { value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `Not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { error: 'The input must be a JSON object, such as {"url": "https://…"}' };
  if (jsonBytes(value) > WORK_LIMITS.jsonBytes)
    return { error: `The input must be at most ${WORK_LIMITS.jsonBytes} bytes of JSON` };
  return { value: value as Record<string, unknown> };
}

/** The form's values as fields, or one message per field that is not what the server takes. */
export function toFields(values: TaskValues): { fields: TaskFields } | { errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {};
  if (!values.name.trim()) errors.name = ["Name is required"];
  if (values.targetKind !== "any" && !values.targetValue.trim())
    errors.target = [values.targetKind === "role" ? "Enter the role" : "Enter the agent's name"];
  const input = parseObject(values.input);
  if ("error" in input) errors.input = [input.error];
  const whole = (key: keyof TaskValues, optional = false): number | null => {
    const text = String(values[key]).trim();
    if (optional && text === "") return null;
    if (!WHOLE.test(text)) errors[key] = ["Enter a whole number"];
    return Number(text);
  };
  const priority = whole("priority");
  const maxAttempts = whole("maxAttempts");
  const backoffSeconds = whole("backoffSeconds");
  const maxDurationSeconds = whole("maxDurationSeconds");
  const queuedTtlSeconds = whole("queuedTtlSeconds", true);
  if (Object.keys(errors).length > 0 || "error" in input) return { errors };
  const cron = values.cron.trim();
  return {
    fields: {
      name: values.name.trim(),
      description: values.description.trim(),
      target:
        values.targetKind === "any"
          ? { kind: "any", value: null }
          : { kind: values.targetKind, value: values.targetValue.trim() },
      input: input.value as TaskFields["input"],
      priority: priority!,
      maxAttempts: maxAttempts!,
      backoffSeconds: backoffSeconds!,
      maxDurationSeconds: maxDurationSeconds!,
      queuedTtlSeconds,
      cron: cron === "" ? null : cron,
      timezone: values.timezone.trim() || "UTC",
      missedFires: values.missedFires,
      paused: values.paused,
    },
  };
}
