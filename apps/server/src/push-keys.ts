import { loadOrCreateVapidKeys, vapidKeysProblem, type VapidKeys, type WebPushSenderOptions } from "@tower/api";
import type { Logger } from "pino";
import type { Env } from "./env";
import { ConfigurationError } from "./start-problem";

const EXAMPLE = "TOWER_PUSH_SUBJECT=mailto:ops@example.com";

/**
 * Web push as configured: the VAPID pair from the environment (checked to be a pair) or from its
 * file beside the database (created on first start), and the contact subject. Without a subject
 * the server still runs, sends nothing and says once, at start, what to set. Keys are never logged.
 */
export function pushOptions(env: Env, logger: Logger): WebPushSenderOptions {
  const vapid = configuredKeys(env) ?? loadOrCreateVapidKeys(env.TOWER_VAPID_KEYS_PATH, logger);
  const subject = env.TOWER_PUSH_SUBJECT ?? null;
  if (subject === null) {
    logger.info(
      `web push notifications are off: set ${EXAMPLE} (a contact push services can reach) to send approvals and alerts to people's devices`,
    );
  } else {
    logger.info({ subject }, "web push notifications are on");
  }
  return {
    vapid,
    subject,
    services: env.TOWER_PUSH_SERVICES,
    whyOff: `The server has no contact for push services: an administrator sets ${EXAMPLE} and restarts it`,
  };
}

function configuredKeys(env: Env): VapidKeys | null {
  if (!env.TOWER_VAPID_PUBLIC_KEY || !env.TOWER_VAPID_PRIVATE_KEY) return null;
  const keys = { publicKey: env.TOWER_VAPID_PUBLIC_KEY, privateKey: env.TOWER_VAPID_PRIVATE_KEY };
  const problem = vapidKeysProblem(keys);
  // The message names the variables, never their values.
  if (problem)
    throw new ConfigurationError(
      `Invalid server configuration:\n  TOWER_VAPID_PUBLIC_KEY/TOWER_VAPID_PRIVATE_KEY: ${problem}`,
    );
  return keys;
}
