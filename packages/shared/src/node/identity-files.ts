import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  type Stats,
} from "node:fs";
import path from "node:path";
import { IDENTITY_FILE_PATTERN, MAX_IDENTITY_FILE_CHARS, type IdentityFile } from "../domain/identity-import";

/** An identity file that was not read, and why. */
export interface SkippedIdentityFile {
  name: string;
  reason: string;
}

export interface IdentityFileScan {
  files: IdentityFile[];
  skipped: SkippedIdentityFile[];
}

export interface ReadIdentityOptions {
  /**
   * Whether a symbolic link is read as the file it points to. Off: a link is skipped, so a folder
   * cannot smuggle in a file from elsewhere (a link to /etc/shadow).
   */
  followSymlinks?: boolean;
}

/**
 * UTF-8 is at most 4 bytes per UTF-16 unit: a file larger than this is over the character limit
 * for sure, and is refused from its size alone, unread.
 */
const MAX_IDENTITY_FILE_BYTES = MAX_IDENTITY_FILE_CHARS * 4;
const LIMIT = "the 256 KiB limit per identity file";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function kindOf(stats: Stats): string {
  if (stats.isSymbolicLink()) return "a symbolic link (not followed; name the file it points to instead)";
  if (stats.isDirectory()) return "a folder, not a file";
  if (stats.isFIFO()) return "a named pipe, not a regular file";
  if (stats.isSocket()) return "a socket, not a regular file";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device, not a regular file";
  return "not a regular file";
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code;

function unreadable(error: unknown): string {
  const code = codeOf(error);
  if (code === "ENOENT") return "could not be read: it no longer exists";
  if (code === "EACCES" || code === "EPERM") return "could not be read: permission denied";
  if (code === "ELOOP") return "a symbolic link (not followed; name the file it points to instead)";
  return `could not be read: ${(error as Error).message}`;
}

/**
 * One identity file, read only if it is a regular file within the size limit and valid UTF-8;
 * otherwise the reason it was skipped. Never blocks on a special file (a FIFO is not opened), never
 * reads an oversized file, and (unless `followSymlinks`) never follows a symbolic link.
 */
export function readIdentityFile(
  file: string,
  name: string = path.basename(file),
  { followSymlinks = false }: ReadIdentityOptions = {},
): { file: IdentityFile } | { skipped: SkippedIdentityFile } {
  const skip = (reason: string) => ({ skipped: { name, reason } });
  let stats: Stats;
  try {
    stats = followSymlinks ? statSync(file) : lstatSync(file);
  } catch (error) {
    if (codeOf(error) === "ENOENT" && followSymlinks) return skip("a symbolic link to nothing (its target is missing)");
    return skip(unreadable(error));
  }
  if (!stats.isFile()) return skip(kindOf(stats));
  if (stats.size > MAX_IDENTITY_FILE_BYTES) return skip(`${stats.size} bytes, over ${LIMIT}; not read`);

  let fd: number;
  try {
    // O_NOFOLLOW and O_NONBLOCK: if the entry was swapped for a link or a FIFO since lstat, the
    // open fails or returns at once instead of following it or waiting for a writer.
    const flags = constants.O_RDONLY | (followSymlinks ? 0 : (constants.O_NOFOLLOW ?? 0)) | (constants.O_NONBLOCK ?? 0);
    fd = openSync(file, flags);
  } catch (error) {
    return skip(unreadable(error));
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) return skip(kindOf(opened));
    if (opened.size > MAX_IDENTITY_FILE_BYTES) return skip(`${opened.size} bytes, over ${LIMIT}; not read`);
    // One byte more than allowed tells a file that grew since fstat.
    const buffer = Buffer.allocUnsafe(MAX_IDENTITY_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > MAX_IDENTITY_FILE_BYTES) return skip(`over ${LIMIT} (it grew while being read); not read`);
    }
    let content: string;
    try {
      content = utf8.decode(buffer.subarray(0, length));
    } catch {
      return skip("not valid UTF-8 text");
    }
    if (content.length > MAX_IDENTITY_FILE_CHARS) return skip(`${content.length} characters, over ${LIMIT}`);
    return { file: { name, content } };
  } catch (error) {
    return skip(unreadable(error));
  } finally {
    closeSync(fd);
  }
}

/**
 * Every YAML or JSON identity file directly in a folder, sorted by name, and the entries that were
 * skipped with the reason: anything but a regular file (symbolic links too, unless
 * `followSymlinks`), a file over the size limit, a file that could not be read or is not UTF-8.
 */
export function scanIdentityFolder(dir: string, options: ReadIdentityOptions = {}): IdentityFileScan {
  const scan: IdentityFileScan = { files: [], skipped: [] };
  const names = readdirSync(dir)
    .filter((name) => IDENTITY_FILE_PATTERN.test(name))
    .sort();
  for (const name of names) {
    const result = readIdentityFile(path.join(dir, name), name, options);
    if ("file" in result) scan.files.push(result.file);
    else scan.skipped.push(result.skipped);
  }
  return scan;
}

/**
 * Every YAML or JSON identity file directly in a folder, sorted by name, for a folder that must be
 * whole (the server's demo fleet): symbolic links are followed, and any entry that cannot be read
 * fails the whole call, naming it.
 */
export function readIdentityFolder(dir: string): IdentityFile[] {
  const { files, skipped } = scanIdentityFolder(dir, { followSymlinks: true });
  if (skipped.length > 0) {
    throw new Error(`${dir}: ${skipped.map((entry) => `${entry.name}: ${entry.reason}`).join("; ")}`);
  }
  return files;
}
