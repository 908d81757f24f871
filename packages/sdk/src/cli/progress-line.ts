/**
 * Progress of a long command on stderr: on a terminal, one line rewritten in place; elsewhere (a
 * log file, a pipe, CI), where a carriage return would glue every update into one line, only the
 * last update, once, when the work ends.
 */
export function progressLine(stream: NodeJS.WriteStream = process.stderr) {
  let last = "";
  return {
    update(text: string) {
      last = text;
      if (stream.isTTY) stream.write(`\r${text}`);
    },
    end() {
      if (last) stream.write(stream.isTTY ? "\n" : `${last}\n`);
      last = "";
    },
  };
}
