import { DomainError } from "./errors";

type CursorValue = string | number;

/** Opaque keyset cursor: the sort value and id of the last row of a page. */
export function encodeCursor(position: [CursorValue, string]): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

export function decodeCursor(cursor: string): [CursorValue, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString());
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      (typeof value[0] === "string" || typeof value[0] === "number") &&
      typeof value[1] === "string"
    ) {
      return [value[0], value[1]];
    }
  } catch {
    // fall through to the error below
  }
  throw new DomainError("BAD_REQUEST", "Not a cursor this server issued", { field: "cursor" });
}
