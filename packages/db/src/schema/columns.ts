import { integer, text } from "drizzle-orm/sqlite-core";

/** Timestamps are integer epoch milliseconds: cheap to compare, sort and send as JSON. */
export const epochMs = (name: string) => integer(name, { mode: "number" });

/** JSON columns are stored as text and typed on the way out. */
export const jsonText = <T>(name: string) => text(name, { mode: "json" }).$type<T>();
