import type { StepFailurePolicy, TaskTargetKind, Workflow, WorkflowCreateInput, WorkflowStep } from "@tower/shared";
import { parseObject } from "~/features/work";

// The workflow form's values as typed (text), checked and turned into what `workflow.create` and
// `workflow.update` take. Only what a person often gets wrong is checked here (JSON, whole numbers,
// empty names); the server checks everything, and its messages appear at the same fields.

export interface StepValues {
  /** A key for React that stays with the step while steps move (not sent). */
  key: string;
  name: string;
  targetKind: TaskTargetKind;
  targetValue: string;
  input: string;
  onFailure: StepFailurePolicy;
  maxDurationSeconds: string;
}

export interface WorkflowValues {
  name: string;
  description: string;
  steps: StepValues[];
}

export type WorkflowFields = Omit<Required<WorkflowCreateInput>, "projectId">;
type StepInput = WorkflowFields["steps"][number];
/** A JSON object as the contracts type it. */
export type JsonObject = NonNullable<StepInput["input"]>;

/** Messages by field: `name`, `description`, `steps` (the list as a whole) and `steps.<i>.<field>`. */
export type WorkflowErrors = Record<string, string[]>;

/** The fields of one step the form shows, as the server's issue paths name them. */
export const STEP_FIELDS = ["name", "target", "input", "onFailure", "maxDurationSeconds"] as const;

let nextKey = 0;
const newKey = () => `step-${++nextKey}`;

export function emptyStep(): StepValues {
  return {
    key: newKey(),
    name: "",
    targetKind: "role",
    targetValue: "",
    input: "{}",
    onFailure: "stop",
    maxDurationSeconds: "3600",
  };
}

export const emptyValues = (): WorkflowValues => ({ name: "", description: "", steps: [emptyStep()] });

function fromStep(step: WorkflowStep): StepValues {
  return {
    key: newKey(),
    name: step.name,
    targetKind: step.target.kind,
    targetValue: step.target.value ?? "",
    input: JSON.stringify(step.input, null, 2),
    onFailure: step.onFailure,
    maxDurationSeconds: String(step.maxDurationSeconds),
  };
}

export const fromWorkflow = (workflow: Workflow): WorkflowValues => ({
  name: workflow.name,
  description: workflow.description,
  steps: workflow.steps.map(fromStep),
});

/** The list with the step at `from` moved to `to` (both within the list). */
export function moveStep(steps: StepValues[], from: number, to: number): StepValues[] {
  if (to < 0 || to >= steps.length) return steps;
  const next = [...steps];
  const [step] = next.splice(from, 1);
  next.splice(to, 0, step!);
  return next;
}

function toStep(step: StepValues, index: number, errors: WorkflowErrors): StepInput | null {
  const at = (field: string, message: string) => (errors[`steps.${index}.${field}`] = [message]);
  if (!step.name.trim()) at("name", "Name is required");
  if (step.targetKind !== "any" && !step.targetValue.trim())
    at("target", step.targetKind === "role" ? "Enter the role" : "Enter the agent's name");
  const input = parseObject(step.input);
  if ("error" in input) at("input", input.error);
  const duration = step.maxDurationSeconds.trim();
  if (!/^\d+$/.test(duration)) at("maxDurationSeconds", "Enter a whole number of seconds");
  if ("error" in input) return null;
  return {
    name: step.name.trim(),
    target:
      step.targetKind === "any"
        ? { kind: "any", value: null }
        : { kind: step.targetKind, value: step.targetValue.trim() },
    input: input.value as JsonObject,
    onFailure: step.onFailure,
    maxAttempts: null, // the server's default for the policy: 3 for retry, else 1
    maxDurationSeconds: Number(duration),
  };
}

/** The form's values as fields, or one message per field that is not what the server takes. */
export function toFields(values: WorkflowValues): { fields: WorkflowFields } | { errors: WorkflowErrors } {
  const errors: WorkflowErrors = {};
  if (!values.name.trim()) errors.name = ["Name is required"];
  const steps = values.steps.map((step, index) => toStep(step, index, errors));
  if (values.steps.length === 0) errors.steps = ["Add at least one step"];
  if (Object.keys(errors).length > 0) return { errors };
  return {
    fields: { name: values.name.trim(), description: values.description.trim(), steps: steps as StepInput[] },
  };
}
