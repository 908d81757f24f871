import {
  CLAUDE_HOOK_EVENTS,
  denyAnswer,
  errorMessageOf,
  hasPermissionDecision,
  type ClaudeHookEvent,
} from "./claude-hook-answer";

/** Claude Code sends a tool's whole input (a file written, a long command); more than this is refused. */
const MAX_INPUT_BYTES = 16 * 1024 * 1024;

export interface ClaudeCodeHookOptions {
  url: string;
  apiKey: string | undefined;
  agent: string | undefined;
  /** Gives up (and denies) after this long: shorter than the hook's own timeout in Claude Code. */
  timeoutSeconds: number;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_INPUT_BYTES) throw new Error(`the hook input is over ${MAX_INPUT_BYTES / 1024 / 1024} MB`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Fatal: bytes that are not UTF-8 are an error, never replaced. ignoreBOM keeps a BOM in the text. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The event named in the hook's input, or null when the input is not a Claude Code hook event. */
function eventOf(text: string): ClaudeHookEvent | string | null {
  try {
    const name = (JSON.parse(text) as { hook_event_name?: unknown } | null)?.hook_event_name;
    return typeof name === "string" ? name : null;
  } catch {
    return null;
  }
}

const messageOf = (error: unknown) =>
  error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);

/** Sends the event to Tower; the answer's body, or the reason there is none. */
async function ask(event: ClaudeHookEvent, body: string, options: ClaudeCodeHookOptions) {
  const endpoint = new URL(`/hooks/claude-code/${CLAUDE_HOOK_EVENTS[event]}`, options.url);
  if (options.agent) endpoint.searchParams.set("agent", options.agent);
  // Tower answers "deny" itself a little before this command gives up: the reason is then Tower's.
  if (event === "PreToolUse") endpoint.searchParams.set("timeout", String(Math.max(1, options.timeoutSeconds - 5)));
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: { authorization: `Bearer ${options.apiKey}`, "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
    });
  } catch (error) {
    const reason =
      (error as Error).name === "TimeoutError"
        ? `no answer from ${endpoint.origin} within ${options.timeoutSeconds} s`
        : `${endpoint.origin} could not be reached (${messageOf(error)})`;
    return { ok: false as const, reason };
  }
  const text = await response.text();
  if (!response.ok) return { ok: false as const, reason: `HTTP ${response.status}: ${errorMessageOf(text)}` };
  return { ok: true as const, text };
}

/**
 * `tower hook claude-code`: a Claude Code command hook. Reads the PreToolUse or PostToolUse event
 * on stdin, posts it to Tower, prints Tower's answer and exits 0. It fails closed: for PreToolUse,
 * anything short of an answer with a decision prints a deny answer with the reason; input that is
 * not a hook event exits 2 (which blocks). A PostToolUse that cannot be delivered exits 1: the tool
 * already ran, Claude Code shows the error and goes on.
 */
export async function claudeCodeHookCommand(options: ClaudeCodeHookOptions): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readStdin();
  } catch (error) {
    console.error(`tower hook: could not read the hook input: ${messageOf(error)}`);
    return 2;
  }
  let input: string;
  let notUtf8 = false;
  try {
    input = utf8.decode(bytes);
  } catch {
    // Replaced bytes would make Tower judge a command other than the one that would run: the
    // lossy text only tells which event this is, and is never sent.
    input = bytes.toString("utf8");
    notUtf8 = true;
  }
  const event = eventOf(input);
  if (event === null) {
    console.error("tower hook: the input is not a Claude Code hook event (JSON with hook_event_name); blocked");
    return 2;
  }
  if (notUtf8 && !Object.hasOwn(CLAUDE_HOOK_EVENTS, event)) {
    console.error("tower hook: the hook input is not valid UTF-8 and names no known event; blocked");
    return 2;
  }
  if (!Object.hasOwn(CLAUDE_HOOK_EVENTS, event)) {
    console.error(`tower hook: ${event} is not handled; configure it for PreToolUse and PostToolUse only`);
    return 1;
  }
  const pre = event === "PreToolUse";
  const fail = (reason: string) => {
    if (pre) console.log(denyAnswer(reason));
    else console.error(`tower hook: ${event} not recorded: ${reason}`);
    return pre ? 0 : 1;
  };
  if (notUtf8) return fail("the hook input is not valid UTF-8, so what would run cannot be checked");
  if (!options.apiKey) return fail("TOWER_API_KEY is not set for the hook");

  const answer = await ask(event as ClaudeHookEvent, input, options);
  if (!answer.ok) return fail(answer.reason);
  if (!pre) {
    if (answer.text.trim()) console.log(answer.text.trim());
    return 0;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    return fail("the answer was not JSON");
  }
  if (!hasPermissionDecision(parsed)) return fail("the answer carried no permission decision");
  console.log(JSON.stringify(parsed));
  return 0;
}
