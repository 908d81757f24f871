import { randomInt, timingSafeEqual } from "node:crypto";
import { sha256 } from "../core/tokens";

// No 0/O, 1/I/L or U: a code copied by eye from a terminal is read back the same.
const ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789";

/**
 * A fresh install's one-time setup code (16 characters, about 78 bits), printed by the server at
 * start while no account exists: only someone who can read the server's output can claim the
 * install, not whoever reaches the sign-up page first.
 */
export function generateSetupCode(): string {
  const chars = Array.from({ length: 16 }, () => ALPHABET[randomInt(ALPHABET.length)]);
  return [0, 4, 8, 12].map((at) => chars.slice(at, at + 4).join("")).join("-");
}

/** Case, spaces and dashes do not matter, so a code typed by hand in groups still matches. */
const normalize = (code: string) => code.toUpperCase().replace(/[^A-Z0-9]/g, "");

/** Compares in constant time (over hashes, so the lengths need not match). */
export function setupCodeMatches(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(sha256(normalize(expected)), "hex");
  const b = Buffer.from(sha256(normalize(given)), "hex");
  return normalize(given).length > 0 && timingSafeEqual(a, b);
}
