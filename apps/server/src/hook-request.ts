import type { IncomingMessage, ServerResponse } from "node:http";
import { ClaudeCodeHookInputSchema, type ClaudeCodeHookEvent, type ClaudeCodeHookInput } from "@tower/api";
import { describeInputProblem, findInputProblem } from "@tower/shared";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { ZodError } from "zod";

// The HTTP side of a hook request (claude-code-hook.ts): reading and checking the body, and errors
// as 4xx/5xx JSON answers.

export class HookError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, error: HookError, headers: Record<string, string> = {}) {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, headers);
}

/** A tRPC or domain error from a procedure as the hook's HTTP error. */
export function hookErrorOf(error: unknown): HookError {
  if (error instanceof HookError) return error;
  if (error instanceof TRPCError) {
    const status = getHTTPStatusCodeFromError(error);
    const message =
      status >= 500
        ? "Internal server error"
        : error.cause instanceof ZodError
          ? `Invalid input: ${describeIssues(error.cause.issues)}`
          : error.message;
    return new HookError(status, error.code, message);
  }
  return new HookError(500, "INTERNAL_SERVER_ERROR", "Internal server error");
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HookError(413, "PAYLOAD_TOO_LARGE", `The body is larger than ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        reject(new HookError(413, "PAYLOAD_TOO_LARGE", `The body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
    // The client went away mid-body: nothing to answer, but nothing left waiting either.
    req.once("close", () => {
      if (!req.complete) reject(new HookError(400, "BAD_REQUEST", "The request was cut off before its body ended"));
    });
  });
}

function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

/** The hook payload, or a 4xx saying what is wrong with it. */
export function parsePayload(body: Buffer, event: ClaudeCodeHookEvent): ClaudeCodeHookInput {
  let text: string;
  try {
    // Fatal: bytes that are not UTF-8 are refused, not read as U+FFFD and then decided on.
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new HookError(400, "BAD_REQUEST", "The body is not valid UTF-8");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HookError(400, "BAD_REQUEST", "The body is not valid JSON");
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new HookError(400, "BAD_REQUEST", "The body must be a JSON object (Claude Code's hook input)");
  }
  // Before zod, whose walk of a JSON value is recursive: bounded nesting and valid Unicode, as for
  // every tRPC input (a deep `tool_input` overflowed the stack and was answered 500).
  const problem = findInputProblem(raw);
  if (problem) {
    throw new HookError(400, "BAD_REQUEST", `Invalid hook input: ${describeInputProblem(problem)}`);
  }
  const parsed = ClaudeCodeHookInputSchema.safeParse(raw);
  if (!parsed.success)
    throw new HookError(400, "BAD_REQUEST", `Invalid hook input: ${describeIssues(parsed.error.issues)}`);
  if (parsed.data.hook_event_name !== event) {
    throw new HookError(
      400,
      "BAD_REQUEST",
      `This endpoint takes ${event} events; this one is ${parsed.data.hook_event_name}`,
    );
  }
  return parsed.data;
}
