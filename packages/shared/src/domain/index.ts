// The zod-free part of @tower/shared: constants, pure functions and the types they are declared
// with. Browsers import values from "@tower/shared/domain" (importing one value from the main entry
// evaluates every schema module, and with them all of zod); the main entry re-exports all of this.
// Nothing under domain/ may import zod or a module outside domain/.
export * from "./agent";
export * from "./api-key";
export * from "./audit";
export * from "./errors";
export * from "./identity-import";
export * from "./ingest";
export * from "./input-guard";
export * from "./limits";
export * from "./list-text";
export * from "./prices";
export * from "./roles";
export * from "./session";
export * from "./telemetry";
export * from "./policy";
export * from "./policy-diff";
export * from "./push";
export * from "./work";
export * from "./suite";
