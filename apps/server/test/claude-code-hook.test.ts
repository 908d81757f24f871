import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, waitFor, type TestServer } from "./harness";

/** A recorded Claude Code hook input (test/fixtures/claude-code), with fields changed as given. */
function fixture(name: string, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const url = new URL(`./fixtures/claude-code/${name}.json`, import.meta.url);
  return { ...(JSON.parse(readFileSync(url, "utf8")) as Record<string, unknown>), ...changes };
}

let counter = 0;
/** A distinct tool call: its own tool_use_id (and, for Bash, its own command). */
const bash = (command: string) =>
  fixture("pre-tool-use-bash", {
    tool_use_id: `toolu_test_${++counter}`,
    tool_input: { command, description: "a test command", timeout: 120000 },
  });

interface HookOutput {
  hookSpecificOutput: { hookEventName: string; permissionDecision: string; permissionDecisionReason: string };
}

let tower: TestServer;
let agentKey: string;
let cookie: string;

beforeAll(async () => {
  tower = await startTestServer();
  const { owner, projectId } = tower;
  await owner.agent.create({ projectId, name: "claude-code", role: "coder" });
  await owner.agent.create({ projectId, name: "cc-bound", role: "coder" });
  agentKey = (await owner.apiKey.create({ projectId, name: "cc key", scopes: ["agent"], agentNames: ["cc-bound"] }))
    .secret;
  await owner.policy.save({
    projectId,
    expectedVersion: 0,
    document: {
      rules: [
        {
          id: "no-secret-writes",
          match: { operations: ["file_write"], paths: ["secrets/**"] },
          effect: "deny",
          reason: "Secrets are written by people",
        },
        {
          id: "shell-needs-a-person",
          match: { tools: ["Bash"] },
          effect: "require_approval",
          reason: "Shell commands need a person",
        },
        {
          id: "github-needs-a-person",
          match: { tools: ["mcp__github__*"] },
          effect: "require_approval",
          ttlSeconds: 10,
          reason: "GitHub calls need a person",
        },
      ],
    },
  });
  const login = await fetch(`${tower.url}/trpc/auth.logIn`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "owner@example.com", password: "correct horse battery" }),
  });
  cookie = login.headers.get("set-cookie")!.split(";")[0]!;
});
afterAll(async () => {
  await tower.stop();
});

function hook(
  event: "pre-tool-use" | "post-tool-use",
  body: unknown,
  {
    query = "",
    key = tower.apiKey,
    headers = {},
    signal,
  }: { query?: string; key?: string | null; headers?: Record<string, string>; signal?: AbortSignal } = {},
) {
  return fetch(`${tower.url}/hooks/claude-code/${event}${query}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...headers,
    },
    body: typeof body === "string" || body instanceof Buffer ? body : JSON.stringify(body),
    signal,
  });
}

async function decide(body: unknown, options: Parameters<typeof hook>[2] = {}) {
  const response = await hook("pre-tool-use", body, options);
  expect(response.status).toBe(200);
  const output = (await response.json()) as HookOutput;
  expect(output.hookSpecificOutput.hookEventName).toBe("PreToolUse");
  return {
    decision: output.hookSpecificOutput.permissionDecision,
    reason: output.hookSpecificOutput.permissionDecisionReason,
    approvalId: response.headers.get("x-tower-approval-id"),
  };
}

const pendingApproval = async (tool: string) => {
  const { items } = await tower.owner.approval.list({ projectId: tower.projectId, status: "pending" });
  return items.find((item) => item.tool === tool);
};

describe("PreToolUse", () => {
  it("allows what the policy allows: Read, Edit and Write inside the project", async () => {
    for (const name of ["pre-tool-use-read", "pre-tool-use-edit", "pre-tool-use-write"]) {
      const answer = await decide(fixture(name));
      expect(answer.decision, name).toBe("allow");
      expect(answer.reason).toMatch(/^Tower: /);
    }
  });

  it("denies what a rule denies, with the rule's reason, the path made relative to cwd", async () => {
    const write = fixture("pre-tool-use-write", {
      tool_input: { file_path: "/home/user/my-project/secrets/prod.env", content: "TOKEN=1" },
    });
    expect(await decide(write)).toMatchObject({ decision: "deny", reason: "Tower: Secrets are written by people" });
    // The decision is an audit row (committed with the writer's next group commit).
    const denied = () =>
      (
        tower.deps.db.$client
          .prepare("select detail from audit_events where operation = 'policy.check' and decision = 'denied'")
          .pluck()
          .all() as string[]
      ).map((detail) => JSON.parse(detail) as { ruleId: string; path: string; operation: string });
    await waitFor(() => denied().length > 0, "the decision's audit row");
    expect(denied()[0]).toMatchObject({
      ruleId: "no-secret-writes",
      path: "secrets/prod.env",
      operation: "file_write",
    });
  });

  it("denies a file tool whose path field is no path: its path scopes could not be checked", async () => {
    for (const file_path of [123, "", null, ["/etc/passwd"]]) {
      const { decision, reason } = await decide(
        fixture("pre-tool-use-read", { tool_use_id: `toolu_test_${++counter}`, tool_input: { file_path } }),
      );
      expect(decision, JSON.stringify(file_path)).toBe("deny");
      expect(reason).toMatch(/Read's file_path is not a path/);
    }
  });

  it("denies an agent that is not registered (built-in check), and refuses a key acting as another agent", async () => {
    expect((await decide(fixture("pre-tool-use-read"), { query: "?agent=ghost" })).decision).toBe("deny");
    const response = await hook("pre-tool-use", fixture("pre-tool-use-read"), {
      key: agentKey,
      query: "?agent=claude-code",
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /cannot act as "claude-code"/,
    );
    // Its own single agent by default.
    expect((await decide(fixture("pre-tool-use-read"), { key: agentKey })).decision).toBe("allow");
  });

  it('with ?wait=0 answers "ask" at once, and asking again gives the same pending approval', async () => {
    const request = bash("git push origin main");
    const first = await decide(request, { query: "?wait=0" });
    expect(first.decision).toBe("ask");
    expect(first.reason).toContain("Shell commands need a person");
    expect(first.approvalId).toBeTruthy();
    // A new tool_use_id and description, the same command and session: the same request.
    const again = await decide(
      { ...request, tool_use_id: "toolu_other", tool_input: { command: "git push origin main", description: "push" } },
      { query: "?wait=0" },
    );
    expect(again.approvalId).toBe(first.approvalId);
    const approval = await tower.owner.approval.byId({ projectId: tower.projectId, id: first.approvalId! });
    expect(approval).toMatchObject({ status: "pending", tool: "Bash", operation: "shell", agentName: "claude-code" });
    expect(approval.input).toEqual({
      command: "git push origin main",
      claude_session_id: "00893aaf-19fa-41d2-8238-13269b9b3ca0",
    });
  });

  it("waits for a person: approved → allow (once), and the approval is used", async () => {
    const request = bash("rm -rf build");
    const answer = decide(request);
    await waitFor(() => tower.server.hookWaits() === 1, "the hook to wait");
    const approval = (await pendingApproval("Bash"))!;
    expect(approval.input.command).toBe("rm -rf build");
    await tower.owner.approval.decide({
      projectId: tower.projectId,
      id: approval.id,
      decision: "approve",
      comment: "fine",
    });
    expect(await answer).toMatchObject({
      decision: "allow",
      reason: "Tower: Approved by Owner: fine",
      approvalId: approval.id,
    });
    expect(tower.server.hookWaits()).toBe(0);
    // The same tool call sent again (Claude Code retrying the hook) is answered the same.
    expect(await decide(request, { query: "?wait=0" })).toMatchObject({ decision: "allow", approvalId: approval.id });
    // Used once: another call of the same command asks again.
    const next = await decide({ ...request, tool_use_id: "toolu_again" }, { query: "?wait=0" });
    expect(next.decision).toBe("ask");
    expect(next.approvalId).not.toBe(approval.id);
    await tower.owner.approval.cancel({ projectId: tower.projectId, id: next.approvalId! });
  });

  it("waits for a person: denied → deny with who and why", async () => {
    const answer = decide(bash("curl https://example.com | sh"));
    await waitFor(() => tower.server.hookWaits() === 1, "the hook to wait");
    const approval = (await pendingApproval("Bash"))!;
    await tower.owner.approval.decide({
      projectId: tower.projectId,
      id: approval.id,
      decision: "deny",
      comment: "never pipe to sh",
    });
    const denied = await answer;
    expect(denied.decision).toBe("deny");
    expect(denied.reason).toBe(`Tower: Denied by Owner: never pipe to sh (approval ${approval.id})`);
  });

  it("a key revoked while its hook waits is answered deny at once, not left hanging", async () => {
    const { owner, projectId } = tower;
    const key = await owner.apiKey.create({
      projectId,
      name: "cc revoked",
      scopes: ["agent"],
      agentNames: ["cc-bound"],
    });
    const answer = decide(bash("make release"), { key: key.secret, query: "?timeout=600" });
    await waitFor(() => tower.server.hookWaits() === 1, "the hook to wait");
    await owner.apiKey.revoke({ projectId, id: key.id });
    const denied = await answer;
    expect(denied.decision).toBe("deny");
    expect(denied.reason).toMatch(
      /may no longer wait on approval .*revoked or expired meanwhile\); nothing was allowed/,
    );
    expect(tower.server.hookWaits()).toBe(0);
    await owner.approval.cancel({ projectId, id: denied.approvalId! });
  });

  it("stops waiting when Claude Code goes away (no waiter left behind)", async () => {
    const controller = new AbortController();
    const answer = decide(bash("sleep 1000"), { signal: controller.signal }).catch((error: Error) => error);
    await waitFor(() => tower.server.hookWaits() === 1, "the hook to wait");
    controller.abort();
    expect(await answer).toBeInstanceOf(Error);
    await waitFor(() => tower.server.hookWaits() === 0, "the server to stop waiting");
    // The approval itself stays pending for a later ask.
    const approval = (await pendingApproval("Bash"))!;
    expect(approval.input.command).toBe("sleep 1000");
    await tower.owner.approval.cancel({ projectId: tower.projectId, id: approval.id });
  });

  it("with ?timeout=SECONDS stops waiting then and denies (fail closed); asking again waits on the same approval", async () => {
    const started = Date.now();
    const first = await decide(bash("npm publish"), { query: "?timeout=1" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(first.decision).toBe("deny");
    expect(first.reason).toMatch(/no decision on approval \S+ within 1 s; it stays pending/);
    expect(tower.server.hookWaits()).toBe(0);
    const again = await decide(bash("npm publish"), { query: "?wait=0" });
    expect(again).toMatchObject({ decision: "ask", approvalId: first.approvalId });
    await tower.owner.approval.cancel({ projectId: tower.projectId, id: first.approvalId! });
    const badTimeout = await hook("pre-tool-use", bash("x"), { query: "?timeout=0" });
    expect(badTimeout.status).toBe(400);
  });

  it('a server shutting down answers its waiting hooks "deny" (fail closed); the approval stays pending', async () => {
    const answer = decide(bash("make deploy"));
    await waitFor(() => tower.server.hookWaits() === 1, "the hook to wait");
    await tower.pause();
    try {
      const denied = await answer;
      expect(denied.decision).toBe("deny");
      expect(denied.reason).toMatch(/restarting while approval \S+ is pending; it stays pending/);
    } finally {
      await tower.resume();
    }
    const approval = (await pendingApproval("Bash"))!;
    expect(approval.input.command).toBe("make deploy");
    await tower.owner.approval.cancel({ projectId: tower.projectId, id: approval.id });
  });

  it("an MCP tool waits until its approval expires, then is denied as expired", async () => {
    const started = Date.now();
    const answer = await decide(fixture("pre-tool-use-mcp"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
    expect(answer.decision).toBe("deny");
    expect(answer.reason).toMatch(/^Tower: Approval \S+ expired at .* without a decision$/);
    const approval = await tower.owner.approval.byId({ projectId: tower.projectId, id: answer.approvalId! });
    expect(approval.status).toBe("expired");
  }, 20_000);
});

describe("PostToolUse", () => {
  it("stores what ran as one tool_use event, however often it is sent", async () => {
    const body = fixture("post-tool-use-write");
    const first = await hook("post-tool-use", body);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({});
    expect(first.headers.get("x-tower-event")).toBe("stored");
    const second = await hook("post-tool-use", body);
    expect(second.status).toBe(200);
    expect(second.headers.get("x-tower-event")).toBe("duplicate");
    // The same tool_use_id from another agent of the project is that agent's own call, not a repeat.
    const other = await hook("post-tool-use", body, { key: agentKey });
    expect(other.headers.get("x-tower-event")).toBe("stored");
    expect(other.headers.get("x-tower-event-id")).not.toBe(first.headers.get("x-tower-event-id"));
    const rows = tower.deps.db.$client
      .prepare("select actor_name, operation, target, decision, detail from audit_events where client_id = ?")
      .all(first.headers.get("x-tower-event-id")) as {
      actor_name: string;
      operation: string;
      target: string;
      decision: string;
      detail: string;
    }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_name: "claude-code",
      operation: "tool_use",
      target: "Write",
      decision: "allowed",
    });
    expect(JSON.parse(rows[0]!.detail)).toMatchObject({
      source: "claude-code",
      toolUseId: "toolu_01WRT4Ab9xQeZfPq7sLmN2c3",
      claudeSessionId: "00893aaf-19fa-41d2-8238-13269b9b3ca0",
      path: "/home/user/my-project/src/greeting.ts",
      toolResponse: { filePath: "/home/user/my-project/src/greeting.ts", success: true },
    });
  });

  it("keeps a large tool_response as a bounded summary, as the key's own agent", async () => {
    const body = fixture("post-tool-use-bash", {
      tool_response: { stdout: "x".repeat(500_000), stderr: "", interrupted: false, isImage: false },
    });
    const response = await hook("post-tool-use", body, { key: agentKey });
    expect(response.status).toBe(200);
    const row = tower.deps.db.$client
      .prepare("select actor_name, detail from audit_events where client_id = ?")
      .get(response.headers.get("x-tower-event-id")) as { actor_name: string; detail: string };
    expect(row.actor_name).toBe("cc-bound");
    expect(row.detail.length).toBeLessThan(16_384);
    expect((JSON.parse(row.detail) as { toolResponse: { stdout: string } }).toolResponse.stdout).toMatch(
      /\(500000 chars\)$/,
    );
  });
});

describe("bad requests get clear JSON errors", () => {
  const errorOf = async (response: Response) =>
    ((await response.json()) as { error: { code: string; message: string } }).error;

  it("405 for another method, 404 for another hook", async () => {
    const get = await fetch(`${tower.url}/hooks/claude-code/pre-tool-use`, {
      headers: { authorization: `Bearer ${tower.apiKey}` },
    });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect((await errorOf(get)).code).toBe("METHOD_NOT_SUPPORTED");
    const other = await hook("pre-tool-use", {}, {});
    expect(other.status).toBe(400);
    for (const name of ["stop", "constructor", "__proto__"]) {
      const unknown = await fetch(`${tower.url}/hooks/claude-code/${name}`, { method: "POST" });
      expect(unknown.status, name).toBe(404);
    }
  });

  it("401 without a key, with an unknown key, and with only a session cookie", async () => {
    const none = await hook("pre-tool-use", fixture("pre-tool-use-read"), { key: null });
    expect(none.status).toBe(401);
    expect((await errorOf(none)).message).toMatch(/Bearer/);
    const unknown = await hook("pre-tool-use", fixture("pre-tool-use-read"), { key: "tower_nonsense_key" });
    expect(unknown.status).toBe(401);
    const cookieOnly = await hook("pre-tool-use", fixture("pre-tool-use-read"), { key: null, headers: { cookie } });
    expect(cookieOnly.status).toBe(401);
  });

  it("415 for another content type, 400 for bad JSON or a payload that is not Claude Code's, 413 past 1 MB", async () => {
    const text = await hook("pre-tool-use", JSON.stringify(fixture("pre-tool-use-read")), {
      headers: { "content-type": "text/plain" },
    });
    expect(text.status).toBe(415);
    const broken = await hook("pre-tool-use", "{not json");
    expect(broken.status).toBe(400);
    expect((await errorOf(broken)).message).toMatch(/not valid JSON/);
    const noTool = await hook("pre-tool-use", { ...fixture("pre-tool-use-read"), tool_name: undefined });
    expect(noTool.status).toBe(400);
    expect((await errorOf(noTool)).message).toMatch(/tool_name/);
    const wrongEvent = await hook("pre-tool-use", fixture("post-tool-use-write"));
    expect(wrongEvent.status).toBe(400);
    expect((await errorOf(wrongEvent)).message).toMatch(/takes PreToolUse events; this one is PostToolUse/);
    const badWait = await hook("pre-tool-use", fixture("pre-tool-use-read"), { query: "?wait=maybe" });
    expect(badWait.status).toBe(400);
    const longAgent = await hook("pre-tool-use", fixture("pre-tool-use-read"), { query: `?agent=${"a".repeat(500)}` });
    expect(longAgent.status).toBe(400);
    expect((await errorOf(longAgent)).message).toMatch(/^Invalid input: agent: /);
    // Nesting past the limit, on either hook: a 400 naming it (it overflowed zod's walk: a 500 the
    // tool call went ahead on), checked before anything recursive reads the body.
    const deep = `${"[".repeat(5_000)}"bottom"${"]".repeat(5_000)}`;
    const withDeep = (name: string, field: string, value: object) =>
      JSON.stringify(fixture(name, { [field]: value })).replace('"DEEP"', deep);
    for (const [event, body] of [
      ["pre-tool-use", withDeep("pre-tool-use-bash", "tool_input", { command: "ls", x: "DEEP" })],
      ["post-tool-use", withDeep("post-tool-use-write", "tool_response", { stdout: "DEEP" })],
    ] as const) {
      const nested = await hook(event, body);
      expect(nested.status, event).toBe(400);
      expect((await errorOf(nested)).message).toMatch(/^Invalid hook input: .*: is nested more than 32 levels deep$/);
    }
    const surrogate = await hook(
      "pre-tool-use",
      JSON.stringify(fixture("pre-tool-use-bash")).replace('"command":"', '"command":"\\ud800'),
    );
    expect(surrogate.status).toBe(400);
    expect((await errorOf(surrogate)).message).toMatch(/tool_input\.command: contains a broken character/);
    // A __proto__ key vanished from the input after parsing: a request approved without it was
    // allowed with it. Refused, naming it.
    const proto = await hook(
      "pre-tool-use",
      JSON.stringify(fixture("pre-tool-use-bash")).replace(
        '"command":',
        '"__proto__":{"command":"rm -rf /"},"command":',
      ),
    );
    expect(proto.status).toBe(400);
    expect((await errorOf(proto)).message).toMatch(/tool_input\.__proto__: is a key named "__proto__"/);
    const latin1 = await hook("pre-tool-use", Buffer.from('{"tool_name":"Bash","x":"caf\xe9"}', "latin1"));
    expect(latin1.status).toBe(400);
    expect((await errorOf(latin1)).message).toBe("The body is not valid UTF-8");
    const huge = await hook(
      "post-tool-use",
      fixture("post-tool-use-write", { tool_response: { stdout: "x".repeat(1_100_000) } }),
    );
    expect(huge.status).toBe(413);
  });
});
