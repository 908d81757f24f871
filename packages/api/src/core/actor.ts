import { apiKeys, users } from "@tower/db";
import type { Actor } from "@tower/shared";
import { eq } from "drizzle-orm";
import type { Caller, Deps } from "./deps";

/** Tower itself, for what happens without a person or key behind it (seeding, retention). */
export const SYSTEM_ACTOR: Actor = { type: "system", id: null, name: "tower" };

/** The audit trail's view of a caller: people by email, API keys by their name and prefix. */
export function actorOf({ db }: Deps, caller: Caller): Actor {
  if (caller.kind === "user") {
    const user = db.select({ email: users.email }).from(users).where(eq(users.id, caller.userId)).get();
    return { type: "user", id: caller.userId, name: user?.email ?? "deleted user" };
  }
  if (caller.kind === "apiKey") {
    const key = db
      .select({ name: apiKeys.name, prefix: apiKeys.prefix })
      .from(apiKeys)
      .where(eq(apiKeys.id, caller.keyId))
      .get();
    // The prefix is what the key's holder and Settings both see: it tells which key did it.
    return { type: "apiKey", id: caller.keyId, name: key ? `key ${key.name} (${key.prefix}…)` : `key ${caller.keyId}` };
  }
  return { ...SYSTEM_ACTOR, name: "anonymous" };
}
