// `tower hook install` (Claude Code settings, merged) and `tower hook claude-code` (a command hook
// that must fail closed), run as the CLI runs: a child process on the SDK's sources.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_POLICY } from "@tower/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness";

const cli = fileURLToPath(new URL("../../../packages/sdk/src/cli/main.ts", import.meta.url));
/** The installed `tower` command's file, which command hooks run (its dist is built before the tests). */
const towerBin = fileURLToPath(new URL("../../../packages/sdk/bin/tower.mjs", import.meta.url));

let tower: TestServer;
const dirs: string[] = [];
beforeAll(async () => {
  tower = await startTestServer();
});
afterAll(async () => {
  await tower.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-hook-"));
  dirs.push(dir);
  return dir;
}

function runCli(
  args: string[],
  { env = {}, stdin = "" }: { env?: Record<string, string | undefined>; stdin?: string | Buffer } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
      env: { ...process.env, TOWER_URL: tower.url, TOWER_API_KEY: tower.apiKey, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe("tower hook install", () => {
  it("merges Tower's hooks into an existing .claude/settings.json, keeping every other hook", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, ".claude"));
    const file = path.join(dir, ".claude", "settings.json");
    const guard = { type: "command", command: "./guard.sh" };
    writeFileSync(
      file,
      JSON.stringify({
        permissions: { allow: ["Bash(ls:*)"] },
        hooks: {
          PreToolUse: [{ matcher: "Bash", hooks: [guard] }],
          Stop: [{ hooks: [{ type: "command", command: "say done" }] }],
        },
      }),
    );

    const first = await runCli(["hook", "install", "--agent", "coder", "--dir", dir]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(file);
    expect(first.stdout).toContain(`${tower.url}/hooks/claude-code/pre-tool-use?agent=coder`);
    const settings = JSON.parse(readFileSync(file, "utf8"));
    expect(settings.permissions).toEqual({ allow: ["Bash(ls:*)"] });
    expect(settings.hooks.Stop).toEqual([{ hooks: [{ type: "command", command: "say done" }] }]);
    expect(settings.hooks.PreToolUse).toEqual([
      { matcher: "Bash", hooks: [guard] },
      {
        matcher: "*",
        hooks: [
          {
            type: "http",
            // Tower answers "deny" itself 30 s before Claude Code would give up on the hook.
            url: `${tower.url}/hooks/claude-code/pre-tool-use?agent=coder&timeout=1770`,
            headers: { Authorization: "Bearer $TOWER_API_KEY" },
            allowedEnvVars: ["TOWER_API_KEY"],
            // Version 0 of the policy: approvals last 900 s; the hook waits longer.
            timeout: 1800,
            onFailure: "block",
          },
        ],
      },
    ]);
    expect(settings.hooks.PostToolUse).toEqual([
      {
        matcher: "*",
        hooks: [
          {
            type: "http",
            url: `${tower.url}/hooks/claude-code/post-tool-use?agent=coder`,
            headers: { Authorization: "Bearer $TOWER_API_KEY" },
            allowedEnvVars: ["TOWER_API_KEY"],
            timeout: 30,
          },
        ],
      },
    ]);
    expect(readFileSync(file, "utf8")).not.toContain(tower.apiKey);

    // Again, as command hooks, after the policy grew a 2-hour approval: Tower's entries are
    // replaced (one per event), the others stay.
    await tower.owner.policy.save({
      projectId: tower.projectId,
      expectedVersion: 0,
      document: {
        ...DEFAULT_POLICY,
        rules: [
          {
            id: "slow",
            description: "",
            match: { tools: ["deploy"] },
            effect: "require_approval",
            reason: "r",
            ttlSeconds: 7_200,
          },
        ],
      },
    });
    const second = await runCli(["hook", "install", "--agent", "coder", "--dir", dir, "--command"]);
    expect(second.code).toBe(0);
    const again = JSON.parse(readFileSync(file, "utf8"));
    expect(again.hooks.Stop).toEqual(settings.hooks.Stop);
    expect(again.hooks.PreToolUse).toEqual([
      { matcher: "Bash", hooks: [guard] },
      {
        matcher: "*",
        hooks: [
          {
            type: "command",
            // This SDK's own command, by its path: `npx tower` would fetch npm's unrelated "tower".
            command: `node ${towerBin} hook claude-code --agent coder --url ${tower.url} --timeout 7230`,
            timeout: 7260,
            onFailure: "block",
          },
        ],
      },
    ]);
    expect(again.hooks.PostToolUse).toHaveLength(1);
    expect(again.hooks.PostToolUse[0].hooks[0]).toMatchObject({ type: "command", timeout: 30 });

    // The command runs as Claude Code runs it (a shell, in a folder without the SDK) and answers.
    const hook = spawn("sh", ["-c", again.hooks.PreToolUse[1].hooks[0].command], {
      cwd: tempDir(),
      env: { ...process.env, TOWER_API_KEY: tower.apiKey },
    });
    let stdout = "";
    hook.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    hook.stdin.end(preToolUse);
    const [code] = (await once(hook, "exit")) as [number | null];
    expect(code).toBe(0);
    expect(decisionOf(stdout)).toMatchObject({ permissionDecision: "deny", permissionDecisionReason: /coder/ });
  }, 60_000);

  it("refuses a settings file that is not JSON, and writes nothing", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, ".claude"));
    const file = path.join(dir, ".claude", "settings.json");
    writeFileSync(file, "{ not json");
    const result = await runCli(["hook", "install", "--dir", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not valid JSON.*nothing was written/);
    expect(readFileSync(file, "utf8")).toBe("{ not json");
  }, 30_000);

  it("refuses settings whose hooks it cannot merge into, or that are not UTF-8, and writes nothing", async () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ["hooks a string", '{"hooks":"oops"}', /"hooks" is string, not an object of events/],
      ["hooks a list", '{"hooks":[]}', /"hooks" is a list, not an object of events/],
      ["hooks null", '{"hooks":null}', /"hooks" is null, not an object of events/],
      [
        "an event not a list",
        '{"hooks":{"PreToolUse":{"matcher":"*"}}}',
        /"hooks"\."PreToolUse" is an object, not a list of matcher groups/,
      ],
      ["another event not a list", '{"hooks":{"Stop":"say done"}}', /"hooks"\."Stop" is string, not a list/],
      [
        "invalid UTF-8",
        Buffer.concat([Buffer.from('{"permissions":{"allow":["Bash(echo '), Buffer.from([0xff]), Buffer.from(')"]}}')]),
        /is not valid UTF-8/,
      ],
      ["a byte order mark", "\uFEFF{}", /not valid JSON/],
    ];
    for (const [what, content, message] of cases) {
      const dir = tempDir();
      mkdirSync(path.join(dir, ".claude"));
      const file = path.join(dir, ".claude", "settings.json");
      writeFileSync(file, content);
      const result = await runCli(["hook", "install", "--dir", dir], { env: { TOWER_API_KEY: "" } });
      expect(result.code, what).toBe(2);
      expect(result.stderr, what).toContain(file);
      expect(result.stderr, what).toMatch(message);
      expect(result.stderr, what).toMatch(/nothing was written/);
      expect(readFileSync(file), what).toEqual(Buffer.from(content));
    }
  }, 60_000);

  it("refuses a project folder that does not exist instead of creating it, but creates .claude in one that does", async () => {
    const parent = tempDir();
    const missing = path.join(parent, "nonexistent", "x");
    const result = await runCli(["hook", "install", "--dir", missing], { env: { TOWER_API_KEY: "" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/No such project folder: .*nonexistent\/x/);
    expect(existsSync(path.join(parent, "nonexistent"))).toBe(false);

    const made = await runCli(["hook", "install", "--dir", parent], { env: { TOWER_API_KEY: "" } });
    expect(made.code, made.stderr).toBe(0);
    expect(
      JSON.parse(readFileSync(path.join(parent, ".claude", "settings.json"), "utf8")).hooks.PreToolUse,
    ).toHaveLength(1);
  }, 30_000);
});

/** A stand-in for Tower's hook endpoints: records each request and answers with `answer`. */
async function stubTower(answer: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const requests: { url: string; authorization?: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      requests.push({ url: req.url ?? "", authorization: req.headers.authorization, body });
      answer(req, res, body);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

const preToolUse = JSON.stringify({
  session_id: "s1",
  cwd: "/work/app",
  hook_event_name: "PreToolUse",
  tool_name: "Bash",
  tool_input: { command: "rm -rf build" },
  tool_use_id: "t1",
});
const postToolUse = JSON.stringify({ ...JSON.parse(preToolUse), hook_event_name: "PostToolUse", tool_response: {} });
const decisionOf = (stdout: string) =>
  (JSON.parse(stdout) as { hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string } })
    .hookSpecificOutput;

describe("tower hook claude-code", () => {
  it("posts the event with the key and agent, and prints Tower's answer", async () => {
    const answer = {
      hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "allow", permissionDecisionReason: "ok" },
    };
    const stub = await stubTower((_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer)),
    );
    try {
      const result = await runCli(["hook", "claude-code", "--agent", "coder"], {
        env: { TOWER_URL: stub.url },
        stdin: preToolUse,
      });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(answer);
      expect(stub.requests).toEqual([
        {
          url: "/hooks/claude-code/pre-tool-use?agent=coder&timeout=1735",
          authorization: `Bearer ${tower.apiKey}`,
          body: preToolUse,
        },
      ]);

      const post = await runCli(["hook", "claude-code", "--agent", "coder"], {
        env: { TOWER_URL: stub.url },
        stdin: postToolUse,
      });
      expect(post.code).toBe(0);
      expect(stub.requests[1]?.url).toBe("/hooks/claude-code/post-tool-use?agent=coder");
    } finally {
      stub.close();
    }
  }, 30_000);

  it("asks the real server: an allowed tool call is answered allow", async () => {
    await tower.owner.agent.create({ projectId: tower.projectId, name: "hooked", role: "coder" });
    const result = await runCli(["hook", "claude-code", "--agent", "hooked"], { stdin: preToolUse });
    expect(result.code, result.stderr).toBe(0);
    expect(decisionOf(result.stdout)).toMatchObject({ hookEventName: "PreToolUse", permissionDecision: "allow" });
    const denied = await runCli(["hook", "claude-code", "--agent", "nobody"], { stdin: preToolUse });
    expect(denied.code).toBe(0);
    expect(decisionOf(denied.stdout).permissionDecision).toBe("deny");
  }, 30_000);

  it("fails closed: an error answer, an answer without a decision, no server, no key, no answer in time", async () => {
    const stub = await stubTower((req, res, body) => {
      const event = JSON.parse(body) as { tool_name: string };
      if (event.tool_name === "Bash")
        res.writeHead(401, { "content-type": "application/json" }).end('{"error":{"message":"Invalid API key"}}');
      else if (event.tool_name === "Read") res.writeHead(200, { "content-type": "application/json" }).end("{}");
      // "Slow": never answers.
    });
    const denied = async (args: string[], env: Record<string, string | undefined>, stdin = preToolUse) => {
      const result = await runCli(["hook", "claude-code", ...args], { env, stdin });
      expect(result.code, result.stderr).toBe(0);
      const output = decisionOf(result.stdout);
      expect(output.permissionDecision).toBe("deny");
      return output.permissionDecisionReason;
    };
    try {
      expect(await denied([], { TOWER_URL: stub.url })).toMatch(/HTTP 401: Invalid API key.*fails closed/);
      const read = preToolUse.replace('"Bash"', '"Read"');
      expect(await denied([], { TOWER_URL: stub.url }, read)).toMatch(/no permission decision/);
      expect(await denied([], { TOWER_URL: "http://127.0.0.1:9" })).toMatch(/could not be reached/);
      expect(await denied([], { TOWER_URL: stub.url, TOWER_API_KEY: "" })).toMatch(/TOWER_API_KEY is not set/);
      const slow = preToolUse.replace('"Bash"', '"Slow"');
      expect(await denied(["--timeout", "1"], { TOWER_URL: stub.url }, slow)).toMatch(/no answer .* within 1 s/);
    } finally {
      stub.close();
    }

    // Input that is not a hook event: exit 2, which blocks whatever the event was.
    const garbage = await runCli(["hook", "claude-code"], { stdin: "not json" });
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toMatch(/not a Claude Code hook event/);
    // A PostToolUse that cannot be delivered: a non-blocking error (the tool already ran).
    const lost = await runCli(["hook", "claude-code"], {
      env: { TOWER_URL: "http://127.0.0.1:9" },
      stdin: postToolUse,
    });
    expect(lost.code).toBe(1);
    expect(lost.stdout).toBe("");
    expect(lost.stderr).toMatch(/PostToolUse not recorded/);
  }, 60_000);

  it("fails closed on input that is not UTF-8: a deny, and nothing altered is sent to Tower", async () => {
    const stub = await stubTower((_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          hookSpecificOutput: {
            hookEventName: "PreToolUse",
            permissionDecision: "allow",
            permissionDecisionReason: "",
          },
        }),
      ),
    );
    // The command holds a byte that is not UTF-8: replaced by U+FFFD it would be another command.
    const [before, after] = preToolUse.split("rm -rf build");
    const invalid = Buffer.concat([Buffer.from(`${before}rm -rf build`), Buffer.from([0xff]), Buffer.from(after!)]);
    try {
      const result = await runCli(["hook", "claude-code"], { env: { TOWER_URL: stub.url }, stdin: invalid });
      expect(result.code, result.stderr).toBe(0);
      const output = decisionOf(result.stdout);
      expect(output.permissionDecision).toBe("deny");
      expect(output.permissionDecisionReason).toMatch(/not valid UTF-8/);

      const post = Buffer.from(invalid.toString("latin1").replace("PreToolUse", "PostToolUse"), "latin1");
      const lost = await runCli(["hook", "claude-code"], { env: { TOWER_URL: stub.url }, stdin: post });
      expect(lost.code).toBe(1);
      expect(lost.stderr).toMatch(/PostToolUse not recorded: .*not valid UTF-8/);
      expect(stub.requests).toEqual([]);

      // The event's own name mangled: no event to answer for, so blocked.
      const mangled = Buffer.from(preToolUse.replace("PreToolUse", "PreToolUse\u00ff"), "latin1");
      const blocked = await runCli(["hook", "claude-code"], { env: { TOWER_URL: stub.url }, stdin: mangled });
      expect(blocked.code).toBe(2);
      expect(stub.requests).toEqual([]);
    } finally {
      stub.close();
    }
  }, 30_000);

  it("is listed in the help", async () => {
    const help = await runCli(["--help"]);
    expect(help.stdout).toMatch(/hook install/);
    expect(help.stdout).toMatch(/hook claude-code/);
    const one = await runCli(["hook", "install", "--help"]);
    expect(one.stdout).toMatch(/Usage: tower hook install/);
    const bare = await runCli(["hook"]);
    expect(bare.stderr).toMatch(/takes one of: claude-code, install/);
  }, 30_000);
});
