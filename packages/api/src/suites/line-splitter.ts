import { StringDecoder } from "node:string_decoder";

export type LineSplitterOptions = {
  /** Longer lines are cut to this many characters; the rest up to the line break is dropped. */
  maxLineChars: number;
  /** Each line, without its `\n` or `\r\n`; `cut` when it was longer than the limit. */
  onLine: (line: string, cut: boolean) => void;
};

/**
 * Turns a byte stream (a child's stdout) into lines. Chunks may end anywhere, inside a line or a
 * UTF-8 character; memory stays bounded by `maxLineChars` even when a line never ends.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private parts: string[] = [];
  private length = 0;
  private cut = false;

  constructor(private readonly options: LineSplitterOptions) {}

  write(chunk: Buffer): void {
    this.take(this.decoder.write(chunk));
  }

  /** The stream ended: a last line without a line break is still a line. */
  end(): void {
    this.take(this.decoder.end());
    if (this.length > 0 || this.cut) this.emit();
  }

  private take(text: string): void {
    let start = 0;
    for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", start)) {
      this.append(text.slice(start, newline));
      this.emit();
      start = newline + 1;
    }
    this.append(text.slice(start));
  }

  private append(text: string): void {
    if (text === "") return;
    const room = this.options.maxLineChars - this.length;
    if (text.length > room) {
      this.cut = true;
      text = text.slice(0, Math.max(room, 0));
    }
    if (text === "") return;
    this.parts.push(text);
    this.length += text.length;
  }

  private emit(): void {
    let line = this.parts.join("");
    if (line.endsWith("\r") && !this.cut) line = line.slice(0, -1);
    const cut = this.cut;
    this.parts = [];
    this.length = 0;
    this.cut = false;
    this.options.onLine(line, cut);
  }
}
