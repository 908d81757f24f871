import { describe, expect, it } from "vitest";
import { recordingLogger, startTestServer } from "./harness";

describe("/readyz", () => {
  it("says the database is failing without saying why; the reason goes to the log", async () => {
    const log = recordingLogger();
    const tower = await startTestServer({ logger: log.logger });
    try {
      tower.deps.db.$client.close(); // as broken as a database gets
      const response = await fetch(`${tower.url}/readyz`);
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ status: "not ready", checks: { database: "failing", server: "ok" } });
      expect(text).not.toMatch(/connection|open|sqlite|\//i);
      const logged = log.at("error").find((line) => line.msg === "readiness: database check failed");
      expect(logged?.err?.message).toMatch(/database connection is not open/);
    } finally {
      await tower.stop();
    }
  });
});
