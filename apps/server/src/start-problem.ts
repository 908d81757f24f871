import { SuitesFileError } from "@tower/api";

/** Configuration a person must fix before Tower can start; its message says what and where. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

/** What the person starting Tower can do about a failed start step, or undefined for a bug. */
function whatToFix(error: unknown, listen?: { port: number; host: string }): string | undefined {
  if (error instanceof ConfigurationError) return error.message;
  if (error instanceof SuitesFileError) {
    return `the suites file is not valid:\n${error.problems.map((problem) => `  ${problem}`).join("\n")}\nFix it, or move it away to start without suites.`;
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (listen && code === "EADDRINUSE") {
    return `port ${listen.port} on ${listen.host} is already in use: stop what listens there, or choose another port with TOWER_PORT`;
  }
  if (listen && code === "EACCES") {
    return `this user may not listen on port ${listen.port}: choose a port above 1023 with TOWER_PORT`;
  }
  return undefined;
}

/**
 * Runs a step of the start. When it fails for something the person starting Tower must fix, the
 * start stops with that said in one message on stderr (no stack trace) and exit code 1; anything
 * else is thrown as it is.
 */
export async function startStep<T>(step: () => T | Promise<T>, listen?: { port: number; host: string }): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const fix = whatToFix(error, listen);
    if (fix === undefined) throw error;
    process.stderr.write(`Tower could not start: ${fix}\n`);
    process.exit(1);
  }
}
