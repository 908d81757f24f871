import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { IdentityFile } from "../identity-import";

const IDENTITY_FILE = /\.(ya?ml|json)$/i;

/** Every YAML or JSON identity file directly in a folder, sorted by name. */
export function readIdentityFolder(dir: string): IdentityFile[] {
  return readdirSync(dir)
    .filter((name) => IDENTITY_FILE.test(name))
    .sort()
    .map((name) => ({ name, content: readFileSync(path.join(dir, name), "utf8") }));
}
