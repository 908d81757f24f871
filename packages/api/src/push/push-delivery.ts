import { pushSubscriptions } from "@tower/db";
import { and, eq } from "drizzle-orm";
import type { Deps } from "../core/deps";
import type { PushSendOptions, PushSendResult } from "../core/ports";
import { serviceOf, type PushSubscriptionRow } from "./push-rows";

/**
 * Sends one payload to one subscription and acts on the answer: delivered stamps `lastUsedAt`; 404
 * or 410 (the browser unsubscribed, or the service expired it) deletes the subscription; anything
 * else is logged. Never throws. Logs name the device and push service, never the endpoint's path.
 */
export async function deliver(
  deps: Pick<Deps, "db" | "clock" | "logger" | "push">,
  row: PushSubscriptionRow,
  payload: string,
  options: PushSendOptions,
): Promise<PushSendResult> {
  const { push, logger } = deps;
  if (!push) return { outcome: "skipped", why: "unwanted" };
  const where = { deviceId: row.id, userId: row.userId, service: serviceOf(row.endpoint) };
  let result: PushSendResult;
  try {
    result = await push.send(
      { endpoint: row.endpoint, keys: { p256dh: row.p256dh, auth: row.auth } },
      payload,
      options,
    );
  } catch (error) {
    result = { outcome: "failed", error: (error as Error).message };
  }
  try {
    // Only the row as it was sent to: a browser that subscribed again meanwhile keeps its new one.
    const same = and(eq(pushSubscriptions.id, row.id), eq(pushSubscriptions.endpoint, row.endpoint));
    switch (result.outcome) {
      case "sent":
        deps.db.update(pushSubscriptions).set({ lastUsedAt: deps.clock.now() }).where(same).run();
        break;
      case "gone":
        deps.db.delete(pushSubscriptions).where(same).run();
        logger.info({ ...where, status: result.statusCode }, "push subscription gone; removed");
        break;
      case "refused":
        logger.warn({ ...where, status: result.statusCode, body: result.body }, "push service refused a notification");
        break;
      case "failed":
        logger.warn({ ...where, err: result.error }, "push service unreachable; notification dropped");
        break;
      case "skipped":
        if (result.why === "queue full") logger.warn(where, "too many notifications waiting; one dropped");
        break;
    }
  } catch (error) {
    logger.error({ ...where, err: error }, "recording a push outcome failed");
  }
  return result;
}
