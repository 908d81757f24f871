import packageJson from "../package.json" with { type: "json" };

/** This SDK's version, as published (sent nowhere; shown by `tower --version`). */
export const SDK_VERSION: string = packageJson.version;
