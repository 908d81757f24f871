import type { Caller, Deps } from "./deps";

interface Turns {
  taken: boolean;
  waiting: (() => void)[];
}

/**
 * The longest one stream holds its caller's turn. A stream keeps it from reading its page until
 * the client has read it, which over a socket takes milliseconds; one whose consumer stopped
 * pulling (an in-process caller, a stream left open) must not keep the others waiting for ever.
 */
export const LONGEST_TURN_MS = 500;

/** By the state of one database (each test world has its own), then by who replays. */
const turnsOf = new WeakMap<object, Map<string, Turns>>();

/** Whose replays take turns: a person across all their sessions, an API key across all its sockets. */
const replayerOf = (caller: Caller) =>
  caller.kind === "user" ? `user:${caller.userId}` : caller.kind === "apiKey" ? `key:${caller.keyId}` : "anonymous";

/**
 * Waits for this caller's turn to read and send one page of a backlog (a live stream resumed from
 * far behind); call the function it resolves with once the page is out. One page at a time per
 * person or key, whatever the number of its streams: a hundred subscriptions that each replay the
 * audit trail from its start (a read key may open them) would otherwise read and send it a hundred
 * times over at once, and take every core from everyone else. A lone stream replays as fast as
 * before; many take turns, page by page (a turn lasts `LONGEST_TURN_MS` at most).
 */
export async function replayTurn(deps: Pick<Deps, "state">, caller: Caller): Promise<() => void> {
  let byReplayer = turnsOf.get(deps.state);
  if (!byReplayer) turnsOf.set(deps.state, (byReplayer = new Map()));
  const key = replayerOf(caller);
  let turns = byReplayer.get(key);
  if (!turns) byReplayer.set(key, (turns = { taken: false, waiting: [] }));
  if (turns.taken) await new Promise<void>((resolve) => turns.waiting.push(resolve));
  turns.taken = true;
  let done = false;
  const release = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    const next = turns.waiting.shift();
    if (next) return next(); // handed straight over: still taken
    turns.taken = false;
    byReplayer.delete(key);
  };
  const timer = setTimeout(release, LONGEST_TURN_MS);
  timer.unref?.();
  return release;
}
