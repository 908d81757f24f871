export const ACTOR_TYPES = ["user", "apiKey", "agent", "system"] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export const DECISIONS = ["allowed", "denied", "requires_approval"] as const;
export type Decision = (typeof DECISIONS)[number];
