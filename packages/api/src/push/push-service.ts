import { pushSubscriptions, type DbOrTx } from "@tower/db";
import {
  DEFAULT_PUSH_PREFERENCES,
  type Actor,
  type PushConfig,
  type PushDevice,
  type PushSubscribeInput,
  type PushUpdateInput,
} from "@tower/shared";
import { createECDH } from "node:crypto";
import { and, asc, count, eq } from "drizzle-orm";
import { appendAccountAudit } from "../auth/account-audit";
import type { ClientInfo, Deps } from "../core/deps";
import { DomainError, notFound } from "../core/errors";
import { newId } from "../core/tokens";
import { deliver } from "./push-delivery";
import { payloadJson, testPayload } from "./push-messages";
import { deviceLabelFrom, preferenceColumns, serviceOf, toDevice, type PushSubscriptionRow } from "./push-rows";
import { pushEndpointProblem } from "./push-services";

/** Devices one person may have subscribed at once (dead ones are removed when a push finds them gone). */
export const MAX_DEVICES_PER_USER = 20;

export function pushConfig({ push }: Pick<Deps, "push">): PushConfig {
  if (!push) return { enabled: false, publicKey: null, reason: "Web push is not set up on this server" };
  return { enabled: push.disabledReason === null, publicKey: push.publicKey, reason: push.disabledReason };
}

/** A key every push to the device would fail to encrypt for is refused when it is given, not then. */
function isP256Point(p256dh: string): boolean {
  try {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys(); // computeSecret checks the other key against the curve, and needs one of its own
    ecdh.computeSecret(Buffer.from(p256dh, "base64url"));
    return true;
  } catch {
    return false;
  }
}

function ownDevice(db: DbOrTx, userId: string, id: string): PushSubscriptionRow {
  const row = db
    .select()
    .from(pushSubscriptions)
    .where(and(eq(pushSubscriptions.id, id), eq(pushSubscriptions.userId, userId)))
    .get();
  // Someone else's device reads exactly like one that does not exist.
  if (!row) throw notFound("Device");
  return row;
}

/**
 * Stores the browser's subscription for the caller (upsert by endpoint: browsers subscribe again on
 * every visit). An endpoint held by another account moves to the caller: the browser holds the
 * subscription, so whoever signed in on it last is who its notifications are for; the other
 * account's row is deleted and a new one made, so no id or preference carries across people.
 */
export function subscribe(
  deps: Deps,
  userId: string,
  input: PushSubscribeInput,
  actor: Actor,
  client: ClientInfo,
): PushDevice {
  const endpointProblem = deps.push ? deps.push.endpointProblem(input.endpoint) : pushEndpointProblem(input.endpoint);
  if (endpointProblem) throw new DomainError("BAD_REQUEST", endpointProblem, { field: "endpoint" });
  if (!isP256Point(input.keys.p256dh)) {
    throw new DomainError("BAD_REQUEST", "Must be the browser's P-256 public key (this is no point on the curve)", {
      field: "keys.p256dh",
    });
  }
  const now = deps.clock.now();
  const keys = { p256dh: input.keys.p256dh, auth: input.keys.auth };
  return deps.db.transaction((tx) => {
    const existing = tx.select().from(pushSubscriptions).where(eq(pushSubscriptions.endpoint, input.endpoint)).get();
    if (existing?.userId === userId) {
      const row = tx
        .update(pushSubscriptions)
        .set({ ...keys, deviceLabel: input.deviceLabel, ...preferenceColumns(input.preferences) })
        .where(eq(pushSubscriptions.id, existing.id))
        .returning()
        .get()!;
      return toDevice(row, input.endpoint);
    }
    if (existing) tx.delete(pushSubscriptions).where(eq(pushSubscriptions.id, existing.id)).run();
    const owned = tx.select({ n: count() }).from(pushSubscriptions).where(eq(pushSubscriptions.userId, userId)).get();
    if ((owned?.n ?? 0) >= MAX_DEVICES_PER_USER) {
      throw new DomainError(
        "CONFLICT",
        `At most ${MAX_DEVICES_PER_USER} devices can receive notifications; remove one in Settings first`,
      );
    }
    const row = tx
      .insert(pushSubscriptions)
      .values({
        id: newId(),
        userId,
        endpoint: input.endpoint,
        ...keys,
        deviceLabel: input.deviceLabel ?? deviceLabelFrom(client.userAgent),
        ...preferenceColumns({ ...DEFAULT_PUSH_PREFERENCES, ...input.preferences }),
        createdAt: now,
        lastUsedAt: null,
      })
      .returning()
      .get();
    appendAccountAudit(
      deps,
      tx,
      userId,
      actor,
      {
        operation: "push.subscribe",
        target: actor.name,
        detail: {
          deviceId: row.id,
          device: row.deviceLabel,
          service: serviceOf(row.endpoint),
          movedFromAnotherAccount: Boolean(existing),
          address: client.address,
          userAgent: client.userAgent,
        },
      },
      now,
    );
    return toDevice(row, input.endpoint);
  });
}

export function listDevices(deps: Pick<Deps, "db">, userId: string, currentEndpoint?: string): { items: PushDevice[] } {
  const rows = deps.db
    .select()
    .from(pushSubscriptions)
    .where(eq(pushSubscriptions.userId, userId))
    .orderBy(asc(pushSubscriptions.createdAt), asc(pushSubscriptions.id))
    .all();
  return { items: rows.map((row) => toDevice(row, currentEndpoint)) };
}

export function updateDevice(deps: Pick<Deps, "db">, userId: string, input: PushUpdateInput): PushDevice {
  const row = ownDevice(deps.db, userId, input.id);
  const changes = { deviceLabel: input.deviceLabel, ...preferenceColumns(input.preferences) };
  if (Object.values(changes).every((value) => value === undefined)) return toDevice(row);
  const updated = deps.db
    .update(pushSubscriptions)
    .set(changes)
    .where(and(eq(pushSubscriptions.id, row.id), eq(pushSubscriptions.userId, userId)))
    .returning()
    .get()!;
  return toDevice(updated);
}

export function removeDevice(deps: Deps, userId: string, id: string, actor: Actor, client: ClientInfo) {
  const now = deps.clock.now();
  deps.db.transaction((tx) => {
    const row = ownDevice(tx, userId, id);
    tx.delete(pushSubscriptions).where(eq(pushSubscriptions.id, row.id)).run();
    appendAccountAudit(
      deps,
      tx,
      userId,
      actor,
      {
        operation: "push.remove",
        target: actor.name,
        detail: {
          deviceId: row.id,
          device: row.deviceLabel,
          service: serviceOf(row.endpoint),
          address: client.address,
          userAgent: client.userAgent,
        },
      },
      now,
    );
  });
  return { ok: true as const };
}

/** Sends a test notification to one of the caller's devices and says what the push service answered. */
export async function testDevice(deps: Deps, userId: string, id: string) {
  const row = ownDevice(deps.db, userId, id);
  const config = pushConfig(deps);
  if (!config.enabled) throw new DomainError("BAD_REQUEST", `Notifications are off: ${config.reason}`);
  const payload = testPayload(row.id, row.deviceLabel);
  const result = await deliver(deps, row, payloadJson(payload), {
    ttlSeconds: 60,
    topic: payload.tag,
    urgency: "high",
  });
  return {
    outcome: result.outcome,
    statusCode: "statusCode" in result ? result.statusCode : null,
    /** The push service said the subscription is gone; the device was removed. */
    removed: result.outcome === "gone",
  };
}
