// @tower/sdk as another app gets it: `pnpm pack`, then `npm install` of the tarball into a project
// outside this workspace (the registry serves the SDK's own third-party dependencies), then plain
// JavaScript against the real server, `tsc` under Bundler and NodeNext resolution, and the CLI.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness";

const run = promisify(execFile);
const sdkDir = fileURLToPath(new URL("../../../packages/sdk", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

let tower: TestServer;
let app: string;
let tarball: string;

async function inApp(command: string, args: string[], env: Record<string, string> = {}) {
  return run(command, args, { cwd: app, env: { ...process.env, ...env }, timeout: 120_000 });
}

beforeAll(async () => {
  tower = await startTestServer();
  app = mkdtempSync(path.join(os.tmpdir(), "tower-sdk-app-"));
  // `npm test` builds the SDK before the tests (turbo: test depends on ^build); run alone, the
  // test builds it. Packing without prepack's rebuild leaves dist/ alone for other tests using it.
  if (!existsSync(path.join(sdkDir, "dist/index.mjs"))) await run("pnpm", ["build"], { cwd: sdkDir, timeout: 180_000 });
  await run("pnpm", ["pack", "--config.ignore-scripts=true", "--pack-destination", app], { cwd: sdkDir, timeout: 60_000 });
  tarball = readdirSync(app).find((name) => name.endsWith(".tgz")) ?? "";
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "sdk-app", private: true, type: "module" }));
  await inApp("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", `./${tarball}`]);
}, 300_000);

afterAll(async () => {
  await tower?.stop();
  if (app) rmSync(app, { recursive: true, force: true });
});

describe("the packed @tower/sdk", () => {
  it("is a tarball of compiled files whose manifest names no private package", () => {
    expect(tarball).toMatch(/^tower-sdk-\d+\.\d+\.\d+\.tgz$/);
    const manifest = JSON.parse(readFileSync(path.join(app, "node_modules/@tower/sdk/package.json"), "utf8"));
    expect(manifest.devDependencies).toBeUndefined();
    expect(manifest.scripts).toBeUndefined();
    const names = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies });
    expect(names.filter((name) => name.startsWith("@tower/"))).toEqual([]);
    expect(Object.values(manifest.dependencies as Record<string, string>).every((v) => /^\d/.test(v))).toBe(true);
    const files = readdirSync(path.join(app, "node_modules/@tower/sdk/dist"));
    expect(files.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.mts") && !file.endsWith(".d.cts"))).toEqual([]);
  });

  it("runs from a plain .mjs script: registers an agent, reports, and reads the reports back", async () => {
    writeFileSync(
      path.join(app, "report.mjs"),
      `import { createTowerClient } from "@tower/sdk";

const tower = createTowerClient({ url: process.env.TOWER_URL, apiKey: process.env.TOWER_API_KEY });
await tower.api.agent.register.mutate({ name: "packaged-scout", role: "researcher" });
const scout = tower.agent("packaged-scout");
await scout.start();
for (let i = 0; i < 3; i++) scout.event({ operation: "tool_use", target: "web.search", detail: { i } });
scout.metric({ type: "execution", executionMs: 12, success: true, tokensIn: 100, tokensOut: 20, model: "gpt-4o" });
await tower.reporter.flush();
const agent = await tower.api.agent.byName.query({ name: "packaged-scout" });
const audit = await tower.api.audit.list.query({ agentId: agent.id, operation: "tool_use", limit: 10 });
const metrics = await tower.api.metrics.list.query({ agentId: agent.id, limit: 10 });
await tower.shutdown();
console.log(JSON.stringify({ status: agent.status, events: audit.items.length, metrics: metrics.items.length }));
`,
    );
    const { stdout } = await inApp("node", ["report.mjs"], { TOWER_URL: tower.url, TOWER_API_KEY: tower.apiKey });
    expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}")).toEqual({ status: "idle", events: 3, metrics: 1 });
  }, 60_000);

  it("loads with require() from CommonJS", async () => {
    writeFileSync(
      path.join(app, "load.cjs"),
      `const sdk = require("@tower/sdk");
console.log(typeof sdk.createTowerClient, typeof sdk.Reporter, sdk.LIMITS.batchSize > 0);`,
    );
    const { stdout } = await inApp("node", ["load.cjs"]);
    expect(stdout.trim()).toBe("function function true");
  });

  for (const resolution of ["Bundler", "NodeNext"] as const) {
    it(`gives every procedure's input and output types under ${resolution} resolution`, async () => {
      writeFileSync(
        path.join(app, "typed.ts"),
        `import { createTowerClient, type Agent, type AppRouter } from "@tower/sdk";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

const tower = createTowerClient({ url: "http://localhost:3001", apiKey: "tower_example" });

export async function typed(): Promise<string> {
  const page = await tower.api.agent.list.query({ limit: 10 });
  const first: Agent | undefined = page.items[0];
  const overview: inferRouterOutputs<AppRouter>["metrics"]["overview"] = await tower.api.metrics.overview.query({});
  const register: inferRouterInputs<AppRouter>["agent"]["register"] = { name: "scout", role: "researcher" };
  await tower.api.agent.register.mutate(register);
  // @ts-expect-error limit is a number
  await tower.api.agent.list.query({ limit: "ten" });
  // @ts-expect-error no such procedure
  await tower.api.agent.launch.mutate({ name: "scout" });
  // @ts-expect-error name is required
  await tower.api.agent.register.mutate({ role: "researcher" });
  // @ts-expect-error the output has no such field
  void page.nextPage;
  return \`\${first?.name ?? "none"} \${overview.totalAgents}\`;
}
`,
      );
      const config = {
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: "ES2022",
          lib: ["ES2023", "DOM"],
          module: resolution === "Bundler" ? "ESNext" : "NodeNext",
          moduleResolution: resolution,
          types: [],
          esModuleInterop: true,
          skipLibCheck: true,
        },
        files: ["typed.ts"],
      };
      writeFileSync(path.join(app, `tsconfig.${resolution}.json`), JSON.stringify(config));
      // Every @ts-expect-error must be needed: types that fell back to `any` would make one unused.
      const result = await inApp(process.execPath, [tsc, "-p", `tsconfig.${resolution}.json`]).catch(
        (error: { stdout: string }) => ({ stdout: error.stdout, failed: true }),
      );
      expect(result.stdout).toBe("");
      expect("failed" in result).toBe(false);
    }, 60_000);
  }

  it("installs the tower CLI: npx tower --help lists the commands, each has its own help", async () => {
    const { stdout } = await inApp("npx", ["--no-install", "tower", "--help"]);
    for (const command of ["import", "audit verify", "audit export", "audit heads"]) expect(stdout).toContain(command);
    const verify = await inApp("npx", ["--no-install", "tower", "audit", "verify", "--help"]);
    expect(verify.stdout).toContain("--chain FILE --heads FILE --public-key FILE");
    const version = await inApp("npx", ["--no-install", "tower", "--version"]);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  }, 60_000);
});
