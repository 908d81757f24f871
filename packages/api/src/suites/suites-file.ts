import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseDocument } from "yaml";
import { SuitesFileSchema, type SuiteConfig } from "@tower/shared";

/** A suites file is a short list written by hand; anything this large is a mistake. */
export const MAX_SUITES_FILE_BYTES = 1024 * 1024;

/** A suite as the runner takes it: its folder is absolute (resolved against the suites file's folder). */
export type LoadedSuite = SuiteConfig & { cwd: string };

/** The suites file exists but is not valid; `problems` are the lines of the message, each naming the file. */
export class SuitesFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(problems.join("\n"));
    this.name = "SuitesFileError";
  }
}

/** `["suites", 1, "env", "CI"]` → `suites[1].env.CI` */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === "number") return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, "");
}

function readData(text: string, file: string): unknown {
  if (file.endsWith(".json")) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new SuitesFileError(file, [`${file}: not valid JSON: ${(error as Error).message}`]);
    }
  }
  const doc = parseDocument(text, { logLevel: "error" });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    const where = at ? `line ${at.line}, column ${at.col}: ` : "";
    throw new SuitesFileError(file, [
      `${file}: not valid YAML: ${where}${error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`,
    ]);
  }
  return doc.toJS();
}

/**
 * Validates a suites file's text (YAML, or JSON when `file` ends in .json): `{ suites: [...] }`.
 * `file` names the file in error messages and anchors relative `cwd`s. Throws `SuitesFileError`
 * with one line per problem, e.g. `tower-suites.yaml: suites[1].timeoutSeconds: Must be at most 21600`.
 */
export function parseSuitesFile(text: string, file: string): LoadedSuite[] {
  const data = readData(text, file);
  if (data === null || data === undefined || typeof data !== "object" || Array.isArray(data)) {
    throw new SuitesFileError(file, [
      `${file}: expected an object with a "suites" list, e.g. suites: [{ name, command, format }]`,
    ]);
  }
  const parsed = SuitesFileSchema.safeParse(data);
  if (!parsed.success) {
    throw new SuitesFileError(
      file,
      parsed.error.issues.map((issue) => `${file}: ${fieldPath(issue.path) || "file"}: ${issue.message}`),
    );
  }
  const folder = dirname(resolve(file));
  return parsed.data.suites.map((suite) => ({ ...suite, cwd: resolve(folder, suite.cwd ?? ".") }));
}

/**
 * Reads and validates the suites file at `path`, each suite's folder included. Returns null when
 * there is no file (the server then runs without suites); throws `SuitesFileError` when it exists
 * but is not valid.
 */
export async function loadSuitesFile(path: string): Promise<LoadedSuite[] | null> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new SuitesFileError(path, [`${path}: not a file`]);
    size = info.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    if (error instanceof SuitesFileError) throw error;
    throw new SuitesFileError(path, [`${path}: cannot be read: ${(error as Error).message}`]);
  }
  if (size > MAX_SUITES_FILE_BYTES) {
    throw new SuitesFileError(path, [`${path}: the file is ${size} bytes; a suites file may be at most 1 MiB`]);
  }
  const suites = parseSuitesFile(await readFile(path, "utf8"), path);
  // A folder that is not there would fail each start of its suite: said now, while starting.
  const missing: string[] = [];
  for (const [index, suite] of suites.entries()) {
    const folder = await stat(suite.cwd).catch(() => null);
    if (!folder?.isDirectory()) {
      missing.push(
        `${path}: suites[${index}].cwd: the folder ${suite.cwd} ${folder ? "is not a folder" : "does not exist"}`,
      );
    }
  }
  if (missing.length > 0) throw new SuitesFileError(path, missing);
  return suites;
}
