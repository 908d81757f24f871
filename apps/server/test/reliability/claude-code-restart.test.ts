import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb } from "@tower/db";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, prepareDatabase, startServerProcess, type ServerProcess } from "./server-process";

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-claude-code-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bashCall = {
  ...(JSON.parse(
    readFileSync(new URL("../fixtures/claude-code/pre-tool-use-bash.json", import.meta.url), "utf8"),
  ) as object),
  tool_input: { command: "terraform apply -auto-approve", description: "Apply the plan" },
};

/** A tRPC call over HTTP, as the dashboard makes it: queries by GET, mutations by POST. */
async function trpc<T>(url: string, procedure: string, input: unknown, headers: Record<string, string>): Promise<T> {
  const query = procedure === "approval.list";
  const response = query
    ? await fetch(`${url}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
    : await fetch(`${url}/trpc/${procedure}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(input),
      });
  const body = (await response.json()) as { result?: { data: T }; error?: { message: string } };
  if (!response.ok) throw new Error(`${procedure}: ${response.status} ${body.error?.message}`);
  return body.result!.data;
}

interface HookAnswer {
  status: number;
  decision?: string;
  reason?: string;
  approvalId: string | null;
}

async function preToolUse(url: string, apiKey: string, query = ""): Promise<HookAnswer> {
  const response = await fetch(`${url}/hooks/claude-code/pre-tool-use${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(bashCall),
  });
  const body = (await response.json()) as {
    hookSpecificOutput?: { permissionDecision: string; permissionDecisionReason: string };
  };
  return {
    status: response.status,
    decision: body.hookSpecificOutput?.permissionDecision,
    reason: body.hookSpecificOutput?.permissionDecisionReason,
    approvalId: response.headers.get("x-tower-approval-id"),
  };
}

interface ApprovalRow {
  id: string;
  status: string;
  tool: string;
}

describe("an approval outlives a crash of the server", () => {
  it("a Claude Code hook waits, the server is SIGKILLed, restarts on the same file, the hook asks again, gets the same approval, and a person approves", async () => {
    const file = path.join(dir, "tower.sqlite");
    const { projectId, apiKey } = await prepareDatabase(file, ["claude-code"]);
    const port = await freePort();
    let server: ServerProcess = await startServerProcess(file, port);

    try {
      // An owner (admin) signs in and saves a policy: shell commands need a person.
      const logIn = await fetch(`${server.url}/trpc/auth.logIn`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "owner@example.com", password: "correct horse battery" }),
      });
      const cookie = logIn.headers.get("set-cookie")!.split(";")[0]!;
      const asOwner = { cookie };
      await trpc(
        server.url,
        "policy.save",
        {
          projectId,
          expectedVersion: 0,
          document: {
            rules: [
              {
                id: "shell-needs-a-person",
                match: { tools: ["Bash"] },
                effect: "require_approval",
                reason: "Shell commands need a person",
              },
            ],
          },
        },
        asOwner,
      );

      // The agent asks and waits: the hook request stays open.
      const waiting = preToolUse(server.url, apiKey).catch((error: Error) => error);
      let pending: ApprovalRow[] = [];
      for (const deadline = Date.now() + 10_000; pending.length === 0;) {
        if (Date.now() > deadline) throw new Error(`no pending approval:\n${server.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        pending = (
          await trpc<{ items: ApprovalRow[] }>(server.url, "approval.list", { projectId, status: "pending" }, asOwner)
        ).items;
      }
      expect(pending).toHaveLength(1);
      const approvalId = pending[0]!.id;

      // Killed while the approval is pending: the waiter loses its connection.
      server.child.kill("SIGKILL");
      await server.exited;
      expect(await waiting).toBeInstanceOf(Error);

      // The row is durable: still pending in the file.
      const handle = createDb(file);
      const row = handle.sqlite.prepare("select status from approvals where id = ?").get(approvalId) as {
        status: string;
      };
      handle.close();
      expect(row.status).toBe("pending");

      server = await startServerProcess(file, port);
      const listed = await trpc<{ items: ApprovalRow[] }>(
        server.url,
        "approval.list",
        { projectId, status: "pending" },
        asOwner,
      );
      expect(listed.items.map((item) => item.id)).toEqual([approvalId]);

      // The agent asks again: the same approval (bound to the same request), not a new one…
      const again = await preToolUse(server.url, apiKey, "?wait=0");
      expect(again).toMatchObject({ status: 200, decision: "ask", approvalId });
      // …and waits for it again, until a person approves.
      const rewaiting = preToolUse(server.url, apiKey);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await trpc(
        server.url,
        "approval.decide",
        { projectId, id: approvalId, decision: "approve", comment: "go ahead" },
        asOwner,
      );
      const answer = await rewaiting;
      expect(answer).toMatchObject({
        status: 200,
        decision: "allow",
        reason: "Tower: Approved by Owner: go ahead",
        approvalId,
      });

      // A clean stop flushes the queued decisions to the audit trail before the writer closes.
      server.child.kill("SIGTERM");
      expect((await server.exited).code).toBe(0);
      const after = createDb(file);
      const decisions = after.sqlite
        .prepare("select decision, detail from audit_events where operation = 'policy.check' order by id")
        .all() as { decision: string; detail: string }[];
      const approvals = after.sqlite.prepare("select status, used_at from approvals").all() as {
        status: string;
        used_at: number | null;
      }[];
      after.close();
      expect(approvals).toEqual([{ status: "approved", used_at: expect.any(Number) }]);
      expect(decisions.map((d) => d.decision)).toContain("requires_approval");
      const allowed = decisions
        .filter((d) => d.decision === "allowed")
        .map((d) => JSON.parse(d.detail) as { approvalId: string });
      expect(allowed).toEqual([expect.objectContaining({ approvalId })]);
    } finally {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill("SIGKILL");
        await server.exited;
      }
    }
  }, 90_000);
});
