import { createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { cliEnv } from "./env";

export interface LineOutput {
  write(lines: string[]): Promise<void>;
  close(): Promise<void>;
}

/** JSON lines to a file (`--out`) or to stdout, waiting when the stream asks to, so memory stays flat. */
export function lineOutput(file: string | undefined): LineOutput {
  const stream: Writable = file ? createWriteStream(cliEnv.resolvePath(file)) : process.stdout;
  return {
    async write(lines) {
      if (lines.length === 0) return;
      if (!stream.write(`${lines.join("\n")}\n`)) await once(stream, "drain");
    },
    async close() {
      if (stream === process.stdout) return;
      stream.end();
      await once(stream, "finish");
    },
  };
}
