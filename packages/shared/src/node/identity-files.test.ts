import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_IDENTITY_FILE_CHARS } from "../domain/identity-import";
import { readIdentityFile, readIdentityFolder, scanIdentityFolder } from "./identity-files";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-identity-"));
  dirs.push(dir);
  return dir;
}

describe("scanIdentityFolder", () => {
  it("reads the regular files and reports every other entry on its own, without stopping", () => {
    const dir = tempDir();
    const outside = tempDir();
    writeFileSync(path.join(dir, "a-good.yaml"), "name: a\nrole: r\n");
    writeFileSync(path.join(dir, "z-good.json"), '{"name":"z","role":"r"}');
    writeFileSync(path.join(dir, "notes.txt"), "not an identity file");
    writeFileSync(path.join(outside, "secret.yaml"), "password: hunter2\n");
    symlinkSync(path.join(outside, "secret.yaml"), path.join(dir, "link.yaml"));
    symlinkSync(path.join(dir, "missing"), path.join(dir, "dangling.yaml"));
    symlinkSync(outside, path.join(dir, "to-dir.yml"));
    mkdirSync(path.join(dir, "sub.json"));
    writeFileSync(path.join(dir, "big.yaml"), "x".repeat(MAX_IDENTITY_FILE_CHARS + 1));
    // Sparse: 600 MB on paper, nothing on disk; never read.
    writeFileSync(path.join(dir, "huge.yaml"), "");
    truncateSync(path.join(dir, "huge.yaml"), 600 * 1024 * 1024);
    writeFileSync(path.join(dir, "latin1.yaml"), Buffer.from([0x6e, 0x3a, 0x20, 0xe9, 0x0a]));
    execFileSync("mkfifo", [path.join(dir, "pipe.yaml")]);

    const { files, skipped } = scanIdentityFolder(dir);
    expect(files).toEqual([
      { name: "a-good.yaml", content: "name: a\nrole: r\n" },
      { name: "z-good.json", content: '{"name":"z","role":"r"}' },
    ]);
    const reasons = Object.fromEntries(skipped.map((entry) => [entry.name, entry.reason]));
    expect(Object.keys(reasons).sort()).toEqual([
      "big.yaml",
      "dangling.yaml",
      "huge.yaml",
      "latin1.yaml",
      "link.yaml",
      "pipe.yaml",
      "sub.json",
      "to-dir.yml",
    ]);
    expect(reasons["link.yaml"]).toMatch(/symbolic link \(not followed/);
    expect(reasons["dangling.yaml"]).toMatch(/symbolic link/);
    expect(reasons["to-dir.yml"]).toMatch(/symbolic link/);
    expect(reasons["sub.json"]).toMatch(/a folder/);
    expect(reasons["pipe.yaml"]).toMatch(/named pipe/);
    expect(reasons["big.yaml"]).toMatch(/over the 256 KiB limit/);
    expect(reasons["huge.yaml"]).toMatch(/629145600 bytes, over the 256 KiB limit.*not read/);
    expect(reasons["latin1.yaml"]).toMatch(/not valid UTF-8/);
    expect(JSON.stringify(skipped)).not.toContain("hunter2");
  });

  // Root reads every file whatever its mode.
  it.skipIf(process.getuid?.() === 0)("reports a file it may not read, and reads the rest", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "locked.yaml"), "name: l\n", { mode: 0o000 });
    writeFileSync(path.join(dir, "ok.yaml"), "name: ok\n");
    const { files, skipped } = scanIdentityFolder(dir);
    expect(files.map((file) => file.name)).toEqual(["ok.yaml"]);
    expect(skipped).toEqual([{ name: "locked.yaml", reason: expect.stringMatching(/permission denied/) }]);
  });
});

describe("readIdentityFile", () => {
  it("does not follow a symbolic link unless asked", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "real.yaml"), "name: r\n");
    symlinkSync(path.join(dir, "real.yaml"), path.join(dir, "link.yaml"));
    expect(readIdentityFile(path.join(dir, "link.yaml"))).toEqual({
      skipped: { name: "link.yaml", reason: expect.stringMatching(/symbolic link/) },
    });
    expect(readIdentityFile(path.join(dir, "link.yaml"), "link.yaml", { followSymlinks: true })).toEqual({
      file: { name: "link.yaml", content: "name: r\n" },
    });
  });
});

describe("readIdentityFolder", () => {
  it("follows links (an operator's folder) but names an entry it cannot read instead of hanging on it", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "real.yaml"), "name: r\n");
    symlinkSync(path.join(dir, "real.yaml"), path.join(dir, "s-link.yaml"));
    expect(readIdentityFolder(dir).map((file) => file.name)).toEqual(["real.yaml", "s-link.yaml"]);
    execFileSync("mkfifo", [path.join(dir, "pipe.yaml")]);
    expect(() => readIdentityFolder(dir)).toThrow(/pipe\.yaml: a named pipe/);
  });
});
