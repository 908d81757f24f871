/**
 * What went wrong with a call to Tower, for a person: Tower's refusal (it answered with a code and
 * a message naming the problem), or that Tower could not be reached at all at `url`.
 */
export function towerProblem(error: unknown, url: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { data?: { code?: string } } | null)?.data?.code;
  if (code) return `Tower refused: ${message}`;
  return `Could not reach Tower at ${url} (${message}): is it running? Set TOWER_URL to where it listens.`;
}
