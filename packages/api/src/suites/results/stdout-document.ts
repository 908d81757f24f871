/** The most stdout a document format keeps to parse at the end (a big suite's JSON is a few MB). */
export const MAX_DOCUMENT_CHARS = 64 * 1024 * 1024;

/**
 * Collects stdout for formats that print one document at the end (JSON, XML). Bounded: past
 * `MAX_DOCUMENT_CHARS` it stops keeping lines and says so, rather than growing without end.
 */
export class StdoutDocument {
  private readonly lines: string[] = [];
  private chars = 0;
  overflowed = false;

  constructor(private readonly limit = MAX_DOCUMENT_CHARS) {}

  add(line: string): void {
    if (this.overflowed) return;
    this.chars += line.length + 1;
    if (this.chars > this.limit) this.overflowed = true;
    else this.lines.push(line);
  }

  /**
   * The text from the first line that starts the document (e.g. `{` or `<`) to the last line that
   * ends it, so a runner's own chatter before or after the report is left out.
   */
  slice(isStart: (line: string) => boolean, isEnd: (line: string) => boolean): string | null {
    const start = this.lines.findIndex(isStart);
    if (start < 0) return null;
    let end = this.lines.length - 1;
    while (end > start && !isEnd(this.lines[end]!)) end--;
    return this.lines.slice(start, end + 1).join("\n");
  }

  get tooLarge(): string {
    return `stdout was larger than ${this.limit / 1024 / 1024} MiB; write the report to a resultsFile instead`;
  }
}
