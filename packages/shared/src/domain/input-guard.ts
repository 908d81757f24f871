import { LIMITS } from "./limits";

/** Why an input is refused, with the path of the offending value (`["detail", "steps", 3]`). */
export interface InputProblem {
  path: (string | number)[];
  message: string;
}

// Node 20 has it (ES2024); TypeScript's ES2023 library does not list it.
const isWellFormed = (text: string) => (text as string & { isWellFormed(): boolean }).isWellFormed();

const PROTO_KEY = 'is a key named "__proto__", which JavaScript objects cannot hold as data; rename it';

const BROKEN_TEXT = "contains a broken character (an unpaired UTF-16 surrogate); send valid Unicode text";

interface Frame {
  value: object;
  depth: number;
  parent: Frame | null;
  key: string | number;
}

function pathOf(frame: Frame | null, last?: string | number): (string | number)[] {
  const keys: (string | number)[] = last === undefined ? [] : [last];
  for (let at = frame; at?.parent; at = at.parent) keys.push(at.key);
  keys.reverse();
  // A path 5,000 levels deep is not worth reading in full.
  return keys.length > 6 ? [...keys.slice(0, 4), "…", ...keys.slice(-1)] : keys;
}

/**
 * The first reason `input` cannot be accepted whatever the procedure: objects and arrays nested
 * deeper than `maxDepth`, text that is not valid Unicode (a lone surrogate, which SQLite would
 * store as U+FFFD), or a `__proto__` key. An iterative walk, so it is safe on any value that JSON.parse produced; it runs
 * before zod or anything else recursive sees the input. `skipItems` leaves the elements of the
 * root's `items` array to be checked one by one (ingest refuses a bad report, not its batch).
 */
export function findInputProblem(
  input: unknown,
  { maxDepth = LIMITS.inputDepth, skipItems = false }: { maxDepth?: number; skipItems?: boolean } = {},
): InputProblem | null {
  if (typeof input === "string") return isWellFormed(input) ? null : { path: [], message: BROKEN_TEXT };
  if (input === null || typeof input !== "object") return null;
  const stack: Frame[] = [{ value: input, depth: 1, parent: null, key: "" }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth > maxDepth) {
      return { path: pathOf(frame), message: `is nested more than ${maxDepth} levels deep` };
    }
    // Bytes (a body the transport left unparsed, e.g. ingest's raw reports) hold no text or nesting
    // to check, and walking one would visit every byte as a key; whoever parses them checks them.
    if (ArrayBuffer.isView(frame.value)) continue;
    const skip = skipItems && frame.parent?.parent === null && frame.key === "items";
    if (Array.isArray(frame.value)) {
      if (skip) continue;
      for (let i = 0; i < frame.value.length; i++) {
        const item: unknown = frame.value[i];
        if (typeof item === "string") {
          if (!isWellFormed(item)) return { path: pathOf(frame, i), message: BROKEN_TEXT };
        } else if (item !== null && typeof item === "object") {
          stack.push({ value: item, depth: frame.depth + 1, parent: frame, key: i });
        }
      }
      continue;
    }
    const record = frame.value as Record<string, unknown>;
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      if (!isWellFormed(key)) return { path: pathOf(frame), message: `has a key that ${BROKEN_TEXT}` };
      // JSON.parse keeps it as a key; every object built from the input after it (zod's output,
      // a spread) drops it silently, so what was hashed, approved or stored would not be what was sent.
      if (key === "__proto__") return { path: pathOf(frame, key), message: PROTO_KEY };
      const value = record[key];
      if (typeof value === "string") {
        if (!isWellFormed(value)) return { path: pathOf(frame, key), message: BROKEN_TEXT };
      } else if (value !== null && typeof value === "object") {
        stack.push({ value, depth: frame.depth + 1, parent: frame, key });
      }
    }
  }
  return null;
}

/** "detail.a: is nested more than 32 levels deep" — the same shape as a zod issue's description. */
export const describeInputProblem = ({ path, message }: InputProblem) => `${path.join(".") || "input"}: ${message}`;
