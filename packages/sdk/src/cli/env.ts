import path from "node:path";

/** The only place the CLI reads the environment. */
export const cliEnv = {
  url: process.env.TOWER_URL,
  apiKey: process.env.TOWER_API_KEY,
  /** Where the user ran the command; package scripts run elsewhere (pnpm and npm set INIT_CWD). */
  resolvePath: (target: string) => path.resolve(process.env.INIT_CWD ?? process.cwd(), target),
};
