import { DEFAULT_INGEST_ITEMS_PER_SECOND } from "@tower/api";
import { INGEST_MAX_ITEMS, LIMITS } from "@tower/shared";
import { describe, expect, it } from "vitest";
import { loadEnv } from "../src/env";

describe("server configuration", () => {
  it("limits each key to 5,000 reports a second and 100 WebSockets by default", () => {
    const env = loadEnv({});
    expect(env.TOWER_INGEST_ITEMS_PER_SECOND).toBe(DEFAULT_INGEST_ITEMS_PER_SECOND);
    expect(DEFAULT_INGEST_ITEMS_PER_SECOND).toBe(5_000);
    expect(env.TOWER_WS_SOCKETS_PER_CREDENTIAL).toBe(LIMITS.wsSocketsPerCredential);
  });

  it("refuses an ingest limit below one full batch, which could never pass", () => {
    expect(() => loadEnv({ TOWER_INGEST_ITEMS_PER_SECOND: String(INGEST_MAX_ITEMS - 1) })).toThrow(
      /TOWER_INGEST_ITEMS_PER_SECOND/,
    );
    expect(loadEnv({ TOWER_INGEST_ITEMS_PER_SECOND: "250000" }).TOWER_INGEST_ITEMS_PER_SECOND).toBe(250_000);
  });

  it("keeps the demo fleet's key beside the database unless told otherwise, and runs the fleet by default", () => {
    const env = loadEnv({ TOWER_DB_PATH: "/var/lib/tower/tower.sqlite" });
    expect(env.TOWER_DEMO_FLEET).toBe(true);
    expect(env.TOWER_DEMO_FLEET_KEY_PATH).toBe("/var/lib/tower/demo-fleet.key");
    const custom = loadEnv({ TOWER_DEMO_FLEET: "false", TOWER_DEMO_FLEET_KEY_PATH: "/run/secrets/fleet.key" });
    expect(custom.TOWER_DEMO_FLEET).toBe(false);
    expect(custom.TOWER_DEMO_FLEET_KEY_PATH).toBe("/run/secrets/fleet.key");
    expect(() => loadEnv({ TOWER_DEMO_FLEET: "no" })).toThrow(/TOWER_DEMO_FLEET/);
  });
});
