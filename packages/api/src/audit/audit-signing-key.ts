import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A key for one process only (tests, an in-memory database): its heads prove nothing after exit. */
export function ephemeralSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicKey };
}

/**
 * The Ed25519 key that signs audit chain heads: read from `file`, or created there on first start,
 * readable by the server's user only (0600). It never goes into the database, whose copy is what
 * the signatures are meant to check, and is never logged. Its public half is written beside it
 * (`<file>.pub`) for whoever checks an exported chain.
 */
export function loadOrCreateSigningKey(file: string, logger: Logger): SigningKey {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync("ed25519");
    try {
      // "wx": if another process created it meanwhile, keep theirs and read it below.
      writeFileSync(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
      logger.info({ path: file }, "audit signing key created");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  if ((statSync(file).mode & 0o077) !== 0) {
    // Anyone else who can read the key can sign a forged chain head.
    chmodSync(file, 0o600);
    logger.warn({ path: file }, "audit signing key was readable by others; its mode is now 0600");
  }
  const privateKey = createPrivateKey(readFileSync(file));
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new Error(`${file} is not an Ed25519 private key`);
  }
  const publicKey = createPublicKey(privateKey);
  writeFileSync(`${file}.pub`, publicKey.export({ type: "spki", format: "pem" }), { mode: 0o644 });
  return { privateKey, publicKey };
}
