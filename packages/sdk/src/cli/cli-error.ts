/** A usage or input problem: printed without a stack, exit code 2. */
export class CliError extends Error {}
