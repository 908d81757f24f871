// The example suite's Playwright configuration: HTTP checks only, so it needs no browser.
export default {
  testDir: "./tower-smoke",
  timeout: 15_000,
  retries: 0,
  workers: 1,
  use: { baseURL: process.env.TOWER_URL ?? process.env.TOWER_SERVER_URL ?? "http://127.0.0.1:3001" },
};
