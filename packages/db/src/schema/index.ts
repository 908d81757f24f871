export * from "./agents";
export * from "./auth";
export * from "./changes";
export * from "./audit";
export * from "./telemetry";
export * from "./policy";
export * from "./push";
export * from "./work";
