import { isAbsolute, relative, sep } from "node:path";
import { SUITE_LIMITS, type SuiteUpdate, type TestResult, type TestStatus } from "@tower/shared";

// Colour and cursor escapes (CSI and OSC sequences) that reporters put in messages for terminals.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)/g;

export const stripAnsi = (text: string): string => text.replace(ANSI, "");

/** Cuts `text` to `max` characters, saying so, without splitting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = " … [cut]";
  let end = max - marker.length;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end) + marker;
}

/** `file` relative to `cwd` when it lies inside it; otherwise as given. */
export function relativeFile(file: string | undefined, cwd: string | undefined): string | undefined {
  if (!file) return undefined;
  const path = file.startsWith("file://") ? decodeURIComponent(file.slice("file://".length)) : file;
  if (!cwd || !isAbsolute(path)) return path;
  const inside = relative(cwd, path);
  return inside && !inside.startsWith(`..${sep}`) && inside !== ".." && !isAbsolute(inside) ? inside : path;
}

type TestInput = {
  name: string;
  file?: string | undefined;
  status: TestStatus;
  durationMs?: number | undefined;
  message?: string | undefined;
};

/** A test update within the contract's bounds: names and messages clipped, durations sane. */
export function testUpdate(input: TestInput): SuiteUpdate {
  const name = clip(input.name.trim() || "(unnamed test)", SUITE_LIMITS.testNameLength);
  const duration = input.durationMs ?? 0;
  const test: TestResult = {
    name,
    status: input.status,
    durationMs: Number.isFinite(duration) && duration > 0 ? Math.round(duration * 1000) / 1000 : 0,
  };
  if (input.file) test.file = clip(input.file, SUITE_LIMITS.testNameLength);
  const message = input.message === undefined ? "" : stripAnsi(input.message).trim();
  if (message) test.message = clip(message, SUITE_LIMITS.messageLength);
  return { kind: "test", test };
}

/** Joins a test's suite titles and its own title as every format reports them. */
export const fullName = (titles: readonly string[]): string => titles.filter((title) => title !== "").join(" > ");
