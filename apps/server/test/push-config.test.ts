// Web push configuration: the contact subject and VAPID keys as env.ts and push-keys.ts read them,
// and the real server (src/main.ts) creating its keys once and keeping them across restarts.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateVapidKeys } from "@tower/api";
import { afterAll, describe, expect, it } from "vitest";
import { loadEnv } from "../src/env";
import { pushOptions } from "../src/push-keys";
import { recordingLogger } from "./harness";
import { freePort, startServerProcess } from "./reliability/server-process";

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-push-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("web push configuration", () => {
  it("accepts a mailto: or https: subject and refuses http: and this machine, naming the variable", () => {
    expect(loadEnv({ TOWER_PUSH_SUBJECT: "mailto:ops@example.com" }).TOWER_PUSH_SUBJECT).toBe("mailto:ops@example.com");
    expect(loadEnv({ TOWER_PUSH_SUBJECT: "https://tower.example.com" }).TOWER_PUSH_SUBJECT).toBe(
      "https://tower.example.com",
    );
    expect(loadEnv({}).TOWER_PUSH_SUBJECT).toBeUndefined();
    expect(loadEnv({ TOWER_PUSH_SUBJECT: "" }).TOWER_PUSH_SUBJECT).toBeUndefined();
    expect(() => loadEnv({ TOWER_PUSH_SUBJECT: "http://tower.example.com" })).toThrow(
      /TOWER_PUSH_SUBJECT: must start with mailto: or https:/,
    );
    expect(() => loadEnv({ TOWER_PUSH_SUBJECT: "mailto:me@localhost" })).toThrow(/TOWER_PUSH_SUBJECT: .*this machine/);
    expect(() => loadEnv({ TOWER_PUSH_SUBJECT: "https://127.0.0.1:3001" })).toThrow(/TOWER_PUSH_SUBJECT/);
    expect(() => loadEnv({ TOWER_PUSH_SUBJECT: "https://[::1]" })).toThrow(/TOWER_PUSH_SUBJECT/);
  });

  it("adds push services from TOWER_PUSH_SERVICES to the browsers' own, as host names only", () => {
    expect(loadEnv({}).TOWER_PUSH_SERVICES).toEqual([]);
    expect(loadEnv({ TOWER_PUSH_SERVICES: "push.example.com, PUSH2.example.org" }).TOWER_PUSH_SERVICES).toEqual([
      "push.example.com",
      "PUSH2.example.org",
    ]);
    expect(() => loadEnv({ TOWER_PUSH_SERVICES: "https://push.example.com" })).toThrow(
      /TOWER_PUSH_SERVICES.*host names/,
    );
    const keys = generateVapidKeys();
    const env = loadEnv({
      TOWER_PUSH_SERVICES: "push.example.com",
      TOWER_VAPID_PUBLIC_KEY: keys.publicKey,
      TOWER_VAPID_PRIVATE_KEY: keys.privateKey,
    });
    expect(pushOptions(env, recordingLogger().logger).services).toEqual(["push.example.com"]);
  });

  it("takes VAPID keys from the environment both or neither, and keeps generated ones beside the database", () => {
    const keys = generateVapidKeys();
    expect(() => loadEnv({ TOWER_VAPID_PUBLIC_KEY: keys.publicKey })).toThrow(
      /TOWER_VAPID_PRIVATE_KEY: set .* together/,
    );
    expect(() => loadEnv({ TOWER_VAPID_PRIVATE_KEY: keys.privateKey })).toThrow(/TOWER_VAPID_PUBLIC_KEY/);
    expect(loadEnv({ TOWER_DB_PATH: "/var/lib/tower/tower.sqlite" }).TOWER_VAPID_KEYS_PATH).toBe(
      "/var/lib/tower/vapid-keys.json",
    );
    expect(loadEnv({ TOWER_VAPID_KEYS_PATH: "/run/secrets/vapid.json" }).TOWER_VAPID_KEYS_PATH).toBe(
      "/run/secrets/vapid.json",
    );
  });

  it("uses a configured pair as given (no file) and refuses one that is not a pair, without printing it", () => {
    const { logger, lines } = recordingLogger();
    const keys = generateVapidKeys();
    const keysPath = path.join(dir, "configured", "vapid-keys.json");
    const env = loadEnv({
      TOWER_VAPID_PUBLIC_KEY: keys.publicKey,
      TOWER_VAPID_PRIVATE_KEY: keys.privateKey,
      TOWER_VAPID_KEYS_PATH: keysPath,
      TOWER_PUSH_SUBJECT: "mailto:ops@example.com",
    });
    expect(pushOptions(env, logger)).toMatchObject({ vapid: keys, subject: "mailto:ops@example.com" });
    expect(() => statSync(keysPath)).toThrow();
    const other = generateVapidKeys();
    const mismatched = { ...env, TOWER_VAPID_PRIVATE_KEY: other.privateKey };
    let message = "";
    try {
      pushOptions(mismatched, logger);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/TOWER_VAPID_PUBLIC_KEY\/TOWER_VAPID_PRIVATE_KEY: the public key is not the private key's/);
    expect(message).not.toContain(other.privateKey);
    expect(JSON.stringify(lines)).not.toContain(keys.privateKey);
  });

  it("without a subject says once what to set, and push is off with the reason", () => {
    const { logger, lines } = recordingLogger();
    const env = loadEnv({ TOWER_VAPID_KEYS_PATH: path.join(dir, "off", "vapid-keys.json") });
    const options = pushOptions(env, logger);
    expect(options.subject).toBeNull();
    expect(options.whyOff).toMatch(/TOWER_PUSH_SUBJECT=mailto:ops@example.com/);
    const about = lines.filter((line) => /web push notifications/.test(line.msg));
    expect(about.map((line) => line.msg)).toEqual([expect.stringMatching(/are off: set TOWER_PUSH_SUBJECT=mailto:/)]);
    expect(JSON.stringify(lines)).not.toContain(options.vapid.privateKey);
  });

  it("the real server creates its VAPID keys on first start (0600) and keeps them across restarts", async () => {
    const file = path.join(dir, "server", "tower.sqlite");
    const keysFile = path.join(dir, "server", "vapid-keys.json");
    const port = await freePort();
    const first = await startServerProcess(file, port);
    first.child.kill("SIGTERM");
    expect((await first.exited).code, first.output()).toBe(0);
    expect(statSync(keysFile).mode & 0o777).toBe(0o600);
    const keys = JSON.parse(readFileSync(keysFile, "utf8")) as { publicKey: string; privateKey: string };
    expect(
      first.output().match(/web push notifications are off: set TOWER_PUSH_SUBJECT=mailto:ops@example\.com/g),
    ).toHaveLength(1);

    const second = await startServerProcess(file, port, {
      TOWER_PUSH_SUBJECT: "mailto:ops@example.com",
      TOWER_SETUP_CODE: "PUSH-CONF-IGTE-ST23",
    });
    // A signed-in person is told the same public key, and that notifications are on.
    const signUp = await fetch(`${second.url}/trpc/auth.signUp`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: "owner@example.com",
        name: "Owner",
        password: "correct horse battery",
        setupCode: "PUSH-CONF-IGTE-ST23",
      }),
    });
    expect(signUp.status, await signUp.clone().text()).toBe(200);
    const cookie = signUp.headers.get("set-cookie")!.split(";")[0]!;
    const config = await fetch(`${second.url}/trpc/push.config`, { headers: { cookie } });
    expect(((await config.json()) as { result: { data: unknown } }).result.data).toEqual({
      enabled: true,
      publicKey: keys.publicKey,
      reason: null,
    });
    second.child.kill("SIGTERM");
    expect((await second.exited).code, second.output()).toBe(0);
    expect(JSON.parse(readFileSync(keysFile, "utf8"))).toEqual(keys);
    expect(second.output()).toContain("web push notifications are on");
    expect(second.output()).not.toContain("are off");
    for (const output of [first.output(), second.output()]) expect(output).not.toContain(keys.privateKey);
  }, 60_000);
});
