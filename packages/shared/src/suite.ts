import { z } from "zod";
import { IdSchema, PageLimitSchema } from "./common";
import { SUITE_FILE_FORMATS, SUITE_FORMATS, SUITE_LIMITS, SUITE_OUTCOMES, TEST_STATUSES } from "./domain/suite";

// The domain constants travel with the schemas, so `@tower/shared` alone is enough for a server.
export {
  SUITE_FILE_FORMATS,
  SUITE_FORMATS,
  SUITE_LIMITS,
  SUITE_OUTCOMES,
  TEST_STATUSES,
  type SuiteFormat,
  type SuiteOutcome,
  type TestStatus,
} from "./domain/suite";

const L = SUITE_LIMITS;

export const SuiteFormatSchema = z.enum(SUITE_FORMATS, { error: `Use one of: ${SUITE_FORMATS.join(", ")}` });
export const TestStatusSchema = z.enum(TEST_STATUSES);
export const SuiteOutcomeSchema = z.enum(SUITE_OUTCOMES);

/** A suite's id: it names the suite in URLs, history and commands, so it is a slug. */
export const SuiteNameSchema = z
  .string({ error: (issue) => (issue.input === undefined ? "Name is required" : "Name must be a string") })
  .min(1, { error: "Name is required", abort: true })
  .max(L.nameLength, { error: `Name must be at most ${L.nameLength} characters`, abort: true })
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "Use lowercase letters, digits and single dashes, e.g. e2e-smoke");

const COMMAND_HINT = "Give the command as a string (run by /bin/sh -c) or as a list of arguments";

const commandStringSchema = z
  .string()
  .trim()
  .min(1, { error: "The command is empty", abort: true })
  .max(L.commandLength, `The command must be at most ${L.commandLength} characters`);
const commandArgvSchema = z
  .array(
    z
      .string({ error: "Each argument must be text" })
      .max(L.commandLength, `Each argument must be at most ${L.commandLength} characters`),
  )
  .min(1, { error: "The argument list is empty: it starts with the program to run", abort: true })
  .max(L.argvItems, { error: `At most ${L.argvItems} arguments`, abort: true })
  .refine((argv) => argv[0]!.trim() !== "", "The first argument is the program to run and cannot be empty");

/**
 * A string runs through `/bin/sh -c`; a list is the program and its arguments, with no shell.
 * Chosen by the value's type (not a zod union) so that the message names what is wrong with it.
 */
export const SuiteCommandSchema = z.unknown().transform((value, ctx): string | string[] => {
  const schema = typeof value === "string" ? commandStringSchema : Array.isArray(value) ? commandArgvSchema : null;
  const parsed = schema?.safeParse(value);
  if (parsed?.success) return parsed.data;
  const issues = parsed?.error.issues ?? [
    { message: value === undefined ? "Command is required" : COMMAND_HINT, path: [] },
  ];
  for (const issue of issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
  return z.NEVER;
});

/** Extra environment for the command. YAML numbers and booleans (`CI: 1`) are taken as text. */
export const SuiteEnvSchema = z
  .record(
    z.string(),
    z.union([z.string(), z.number(), z.boolean()], { error: "Environment values must be text" }).transform(String),
  )
  .superRefine((env, ctx) => {
    const names = Object.keys(env);
    if (names.length > L.envVars)
      ctx.addIssue({ code: "custom", message: `At most ${L.envVars} environment variables` });
    for (const name of names.filter((key) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: `"${name}" is not a valid environment variable name: use letters, digits and underscores`,
      });
    }
  });

/** One suite as an administrator writes it in the suites file (unknown keys are refused: typos). */
export const SuiteConfigSchema = z
  .strictObject({
    name: SuiteNameSchema,
    title: z.string().trim().max(L.titleLength, `Title must be at most ${L.titleLength} characters`).optional(),
    description: z
      .string()
      .trim()
      .max(L.descriptionLength, `Description must be at most ${L.descriptionLength} characters`)
      .optional(),
    command: SuiteCommandSchema,
    /** Relative to the suites file's folder; default: that folder. */
    cwd: z.string().trim().min(1, "Remove the empty cwd, or give a folder").optional(),
    timeoutSeconds: z
      .number({ error: "Enter a number of seconds" })
      .positive("Must be more than 0")
      .max(L.maxTimeoutSeconds, `Must be at most ${L.maxTimeoutSeconds}`)
      .default(L.defaultTimeoutSeconds),
    format: SuiteFormatSchema,
    /** Where the runner writes its report, relative to cwd (junit, vitest-json, playwright-json). */
    resultsFile: z.string().trim().min(1, "Remove the empty resultsFile, or give a path").optional(),
    env: SuiteEnvSchema.optional(),
  })
  .superRefine((suite, ctx) => {
    if (suite.resultsFile !== undefined && !SUITE_FILE_FORMATS.includes(suite.format)) {
      ctx.addIssue({
        code: "custom",
        path: ["resultsFile"],
        message: `The ${suite.format} format is read live from stdout; resultsFile applies to ${SUITE_FILE_FORMATS.join(", ")}`,
      });
    }
  });
export type SuiteConfigInput = z.input<typeof SuiteConfigSchema>;
export type SuiteConfig = z.output<typeof SuiteConfigSchema>;

/** The whole suites file: `{ suites: [...] }`, names unique. */
export const SuitesFileSchema = z
  .strictObject({
    suites: z
      .array(SuiteConfigSchema, { error: "Give the suites as a list" })
      .max(L.suitesPerFile, `At most ${L.suitesPerFile} suites`),
  })
  .superRefine((file, ctx) => {
    const first = new Map<string, number>();
    file.suites.forEach((suite, index) => {
      const earlier = first.get(suite.name);
      if (earlier === undefined) first.set(suite.name, index);
      else {
        ctx.addIssue({
          code: "custom",
          path: ["suites", index, "name"],
          message: `Duplicate suite name "${suite.name}" (also suites[${earlier}])`,
        });
      }
    });
  });
export type SuitesFile = z.output<typeof SuitesFileSchema>;

/** One test's result, as every format is read into. */
export const TestResultSchema = z.object({
  /** Suite titles and the test's own, joined by " > ". */
  name: z.string().min(1).max(L.testNameLength),
  file: z.string().max(L.testNameLength).optional(),
  status: TestStatusSchema,
  durationMs: z.number().min(0),
  message: z.string().max(L.messageLength).optional(),
});
export type TestResult = z.infer<typeof TestResultSchema>;

/** What a result parser reports as it reads: the expected total, a test, or why results are unreadable. */
export const SuiteUpdateSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("total"), total: z.number().int().min(0) }),
  z.object({ kind: z.literal("test"), test: TestResultSchema }),
  z.object({ kind: z.literal("problem"), message: z.string() }),
]);
export type SuiteUpdate = z.infer<typeof SuiteUpdateSchema>;

export const SuiteCountsSchema = z.object({
  passed: z.number().int().min(0),
  failed: z.number().int().min(0),
  skipped: z.number().int().min(0),
  /** The total the runner announced, or the tests seen when it announced none (never fewer). */
  total: z.number().int().min(0),
});
export type SuiteCounts = z.infer<typeof SuiteCountsSchema>;

/** How one run of a suite's command ended. */
export const SuiteRunResultSchema = z.object({
  outcome: SuiteOutcomeSchema,
  exitCode: z.number().int().nullable(),
  /** The signal that ended the command (e.g. SIGTERM after a cancel), or null. */
  signal: z.string().nullable(),
  durationMs: z.number().min(0),
  counts: SuiteCountsSchema,
  /** What went wrong besides failed tests: could not start, results missing or unreadable, killed. */
  problems: z.array(z.string()),
});
export type SuiteRunResult = z.infer<typeof SuiteRunResultSchema>;

/**
 * Tower's live line protocol (`tower-jsonl`): a line of stdout that is one of these JSON objects;
 * any other line is ordinary output. `begin` announces the total (a later `total` line corrects it
 * when a runner finds more tests as it goes); `test` reports one finished test.
 */
export const TowerLineSchema = z.discriminatedUnion("tower", [
  z.object({ tower: z.literal("begin"), total: z.number().int().min(0).optional() }),
  z.object({ tower: z.literal("total"), total: z.number().int().min(0) }),
  z.object({
    tower: z.literal("test"),
    name: z.string().min(1),
    file: z.string().optional(),
    status: TestStatusSchema,
    durationMs: z.number().min(0).optional(),
    message: z.string().optional(),
  }),
]);
export type TowerLine = z.infer<typeof TowerLineSchema>;

// What the dashboard sends: start and cancel a run of a configured suite, read its history,
// results and output.

export const SuiteStartInputSchema = z.object({ projectId: IdSchema.optional(), name: SuiteNameSchema });

export const SuiteRunIdInputSchema = z.object({ projectId: IdSchema.optional(), id: IdSchema });

export const SuiteRunListInputSchema = z.object({
  projectId: IdSchema.optional(),
  suite: SuiteNameSchema.optional(),
  limit: PageLimitSchema,
  cursor: z.string().max(200).nullish(),
});

export const SuiteResultListInputSchema = z.object({
  projectId: IdSchema.optional(),
  id: IdSchema,
  status: TestStatusSchema.optional(),
  afterId: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1_000).default(500),
});

export const SuiteOutputInputSchema = z.object({
  projectId: IdSchema.optional(),
  id: IdSchema,
  afterId: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(2_000).default(1_000),
});
