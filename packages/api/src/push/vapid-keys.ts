import { createECDH } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { generateVapidKeys, type VapidKeys } from "./web-push-sender";

/**
 * Why `keys` cannot sign VAPID tokens, or null when they can: the public key must be the private
 * key's (a pair that does not match is refused by every push service, at the first send, silently).
 */
export function vapidKeysProblem(keys: VapidKeys): string | null {
  const publicKey = Buffer.from(keys.publicKey, "base64url");
  const privateKey = Buffer.from(keys.privateKey, "base64url");
  if (publicKey.length !== 65 || publicKey[0] !== 4) {
    return "the public key must be an uncompressed P-256 point: 65 bytes in base64url";
  }
  if (privateKey.length !== 32) return "the private key must be 32 bytes in base64url";
  try {
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(privateKey);
    if (!ecdh.getPublicKey().equals(publicKey)) return "the public key is not the private key's";
  } catch {
    return "the private key is not a P-256 private key";
  }
  return null;
}

/**
 * The VAPID key pair push is signed with: read from `file`, or created there on first start as
 * JSON, readable by the server's user only (0600). Browsers subscribe with the public key, so it
 * must outlive restarts: a new key would silently end every subscription. Never logged.
 */
export function loadOrCreateVapidKeys(file: string, logger: Logger): VapidKeys {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) {
    try {
      // "wx": if another process created it meanwhile, keep theirs and read it below.
      writeFileSync(file, `${JSON.stringify(generateVapidKeys(), null, 2)}\n`, { mode: 0o600, flag: "wx" });
      logger.info({ path: file }, "web push (VAPID) keys created");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  if ((statSync(file).mode & 0o077) !== 0) {
    // Whoever reads the private key can send notifications to every subscribed device.
    chmodSync(file, 0o600);
    logger.warn({ path: file }, "web push keys were readable by others; their mode is now 0600");
  }
  let keys: VapidKeys;
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<VapidKeys>;
    keys = { publicKey: String(parsed.publicKey ?? ""), privateKey: String(parsed.privateKey ?? "") };
  } catch {
    throw new Error(`${file} is not a web push key file (JSON with publicKey and privateKey)`);
  }
  const problem = vapidKeysProblem(keys);
  if (problem) throw new Error(`${file} holds unusable web push keys: ${problem}`);
  return keys;
}
