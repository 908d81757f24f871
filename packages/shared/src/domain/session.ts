export const SESSION_END_REASONS = ["stopped", "process_exit", "expired", "replaced", "disabled"] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];
