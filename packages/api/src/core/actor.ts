import { apiKeys, users } from "@tower/db";
import type { Actor } from "@tower/shared";
import { eq } from "drizzle-orm";
import type { Caller, Deps } from "./deps";

/** Tower itself, for what happens without a person or key behind it (seeding, retention). */
export const SYSTEM_ACTOR: Actor = { type: "system", id: null, name: "tower" };

/**
 * The audit trail's view of a caller: people by their name (their email is shown only to owners
 * and admins, and the trail, approvals and runs are read by viewers, read keys and agents), API
 * keys by their name and prefix. The id says which account it was.
 */
export function actorOf({ db }: Deps, caller: Caller): Actor {
  if (caller.kind === "user") {
    const user = db.select({ name: users.name }).from(users).where(eq(users.id, caller.userId)).get();
    return { type: "user", id: caller.userId, name: user?.name ?? "deleted user" };
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
