import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { IDENTITY_FILE_PATTERN, type IdentityFile } from "../domain/identity-import";

/** Every YAML or JSON identity file directly in a folder, sorted by name. */
export function readIdentityFolder(dir: string): IdentityFile[] {
  return readdirSync(dir)
    .filter((name) => IDENTITY_FILE_PATTERN.test(name))
    .sort()
    .map((name) => ({ name, content: readFileSync(path.join(dir, name), "utf8") }));
}
