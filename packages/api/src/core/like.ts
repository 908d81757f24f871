/**
 * A LIKE pattern's special characters escaped with `\`, for `… like ? escape '\'` (drizzle's like()
 * sets no ESCAPE character, and SQLite has no default one).
 */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
