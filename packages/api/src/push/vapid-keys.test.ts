import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadOrCreateVapidKeys, vapidKeysProblem } from "./vapid-keys";
import { generateVapidKeys } from "./web-push-sender";

const logger = pino({ level: "silent" });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tower-vapid-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("VAPID keys", () => {
  it("are created once, readable by the owner only, and the same on every later start", () => {
    const file = path.join(dir, "data", "vapid-keys.json");
    const first = loadOrCreateVapidKeys(file, logger);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(vapidKeysProblem(first)).toBeNull();
    expect(Buffer.from(first.publicKey, "base64url")).toHaveLength(65);
    expect(loadOrCreateVapidKeys(file, logger)).toEqual(first);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(first);
  });

  it("refuses a file whose keys do not make a pair, or that is not a key file", () => {
    const file = path.join(dir, "vapid-keys.json");
    const a = generateVapidKeys();
    const b = generateVapidKeys();
    writeFileSync(file, JSON.stringify({ publicKey: a.publicKey, privateKey: b.privateKey }), { mode: 0o600 });
    expect(() => loadOrCreateVapidKeys(file, logger)).toThrow(/not the private key's/);
    writeFileSync(file, "not json");
    expect(() => loadOrCreateVapidKeys(file, logger)).toThrow(/not a web push key file/);
  });

  it("checks a configured pair", () => {
    const keys = generateVapidKeys();
    expect(vapidKeysProblem(keys)).toBeNull();
    expect(vapidKeysProblem({ ...keys, publicKey: keys.publicKey.slice(2) })).toMatch(/65 bytes/);
    expect(vapidKeysProblem({ ...keys, privateKey: "short" })).toMatch(/32 bytes/);
  });
});
