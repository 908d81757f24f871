/**
 * What the browser's code knows of its build, inlined by Next at build time: the one place the
 * dashboard's client code reads `process.env` (the server's settings are src/server/env.ts).
 */
export const PRODUCTION_BUILD = process.env.NODE_ENV === "production";
