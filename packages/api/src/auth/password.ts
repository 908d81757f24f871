import { hash, verify } from "@node-rs/argon2";

// Argon2id with the library's defaults (19 MiB, 2 passes), the OWASP-recommended baseline.
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/** Spends the same time as a real check, so response time does not reveal which emails exist. */
export async function burnPasswordCheck(password: string): Promise<false> {
  dummyHash ??= hash("tower-dummy-password");
  await verifyPassword(await dummyHash, password);
  return false;
}
