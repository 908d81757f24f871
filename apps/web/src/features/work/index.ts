// What the Work area's other views (workflows, suites) share with tasks and runs.
export { EditDeleteButtons } from "./edit-delete-buttons";
export { ago, duration, inZone, prettyJson, RUN_STATUS_LABELS, targetText } from "./format";
export { applyToPages, byName, newestFirst } from "./live-cache";
export { RunProgress } from "./run-status";
export { RunTimes } from "./run-times";
export { parseObject } from "./task-form-values";
export { runHref, WorkHeader, workHref, type WorkView } from "./work-header";
