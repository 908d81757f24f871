import { z } from "zod";
import { IdSchema } from "./common";
import { PUSH_LIMITS, pushSubjectProblem } from "./domain/push";

// Web push contracts: a browser's subscription as `PushSubscription.toJSON()` gives it, a device's
// preferences, and the server's contact subject. Types and rules are in ./domain/push.ts.

/** Base64url of exactly `bytes` bytes (padding tolerated and dropped), as browsers encode keys. */
const base64url = (bytes: number, what: string) =>
  z
    .string()
    .max(200)
    .transform((value) => value.replace(/=+$/, ""))
    .refine(
      (value) => /^[A-Za-z0-9_-]*$/.test(value) && value.length === Math.ceil((bytes * 4) / 3),
      `Must be ${what}: ${bytes} bytes in base64url (${Math.ceil((bytes * 4) / 3)} characters)`,
    );

export const PushEndpointSchema = z
  .string()
  .max(PUSH_LIMITS.endpointLength, {
    error: `Must be at most ${PUSH_LIMITS.endpointLength} characters`,
    abort: true,
  })
  .refine((value) => URL.canParse(value), { error: "Must be the push service's URL", abort: true })
  .refine((value) => new URL(value).protocol === "https:", "Must be an https: URL");

export const PushKeysSchema = z.object({
  // An uncompressed P-256 point: 65 bytes, the first 0x04 (so its base64url starts with "B").
  p256dh: base64url(65, "an uncompressed P-256 public key").refine(
    (value) => value.startsWith("B"),
    "Must be an uncompressed P-256 public key (its first byte 0x04)",
  ),
  auth: base64url(16, "the subscription's auth secret"),
});

export const PushPreferencesSchema = z.object({
  approvals: z.boolean(),
  budget: z.boolean(),
  agentErrors: z.boolean(),
});

const DeviceLabelSchema = z.string().trim().min(1).max(PUSH_LIMITS.deviceLabelLength);

/** A browser's `PushSubscription.toJSON()`, with an optional label and preferences (all on by default). */
export const PushSubscribeInputSchema = z.object({
  endpoint: PushEndpointSchema,
  /** Part of the browser's subscription JSON; the push service's own expiry is its business. */
  expirationTime: z.number().nullish(),
  keys: PushKeysSchema,
  /** How the device is shown in Settings; by default made from the browser's user agent. */
  deviceLabel: DeviceLabelSchema.optional(),
  preferences: PushPreferencesSchema.partial().optional(),
});
export type PushSubscribeInput = z.infer<typeof PushSubscribeInputSchema>;

export const PushListInputSchema = z
  .object({
    /** This browser's endpoint, if it has a subscription: its device comes back marked `current`. */
    currentEndpoint: z.string().max(PUSH_LIMITS.endpointLength).optional(),
  })
  .optional();

export const PushUpdateInputSchema = z.object({
  id: IdSchema,
  preferences: PushPreferencesSchema.partial().optional(),
  deviceLabel: DeviceLabelSchema.optional(),
});
export type PushUpdateInput = z.infer<typeof PushUpdateInputSchema>;

export const PushDeviceIdInputSchema = z.object({ id: IdSchema });

/** The server's VAPID contact: `mailto:` or `https:`, never this machine. */
export const PushSubjectSchema = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    const problem = pushSubjectProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
