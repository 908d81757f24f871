import { createHash, randomBytes } from "node:crypto";
import { uuidv7 } from "uuidv7";

/** A high-entropy random secret, URL-safe. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** Secrets with 256 bits of entropy need no slow hash: SHA-256 is enough to make a leak useless. */
export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** Time-ordered ids keep inserts append-only in the B-tree and sort by creation. */
export function newId(): string {
  return uuidv7();
}
