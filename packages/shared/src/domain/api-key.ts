/** `read` acts as a viewer; `write` as an operator (register agents, change them, report). */
export const API_KEY_SCOPES = ["read", "write"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Every key starts with this, so leaked keys are easy to find with secret scanners. */
export const API_KEY_PREFIX = "tower_";
