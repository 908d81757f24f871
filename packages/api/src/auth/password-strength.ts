import type { TranslationKeys, ZxcvbnFactory } from "@zxcvbn-ts/core";
import { DomainError } from "../core/errors";

/**
 * zxcvbn's score runs 0–4 (4: over 10^10 guesses); 3 is "safely unguessable" against an online
 * attacker and a slow (argon2id) hash offline, and is what the estimator's authors recommend.
 */
const MIN_SCORE = 3;

/** The estimator's messages in English (the core package carries only their keys). */
const ENGLISH: TranslationKeys = {
  warnings: {
    straightRow: "a straight row of keys is easy to guess",
    keyPattern: "a short keyboard pattern is easy to guess",
    simpleRepeat: 'a repeated character such as "aaa" is easy to guess',
    extendedRepeat: 'a repeated pattern such as "abcabcabc" is easy to guess',
    sequences: 'a sequence such as "abc" or "6543" is easy to guess',
    recentYears: "recent years are easy to guess",
    dates: "dates are easy to guess",
    topTen: "it is one of the ten most used passwords",
    topHundred: "it is one of the hundred most used passwords",
    common: "it is a commonly used password",
    similarToCommon: "it is too close to a commonly used password",
    wordByItself: "a single word is easy to guess",
    namesByThemselves: "names on their own are easy to guess",
    commonNames: "common names are easy to guess",
    userInputs: "it contains your name or email address",
    pwned: "it appears in a list of leaked passwords",
  },
  suggestions: {
    l33t: 'Avoid predictable letter swaps such as "@" for "a".',
    reverseWords: "Avoid common words spelled backwards.",
    allUppercase: "Capitalise some letters, not all of them.",
    capitalization: "Capitalise more than the first letter.",
    dates: "Avoid dates and years that are associated with you.",
    recentYears: "Avoid recent years.",
    associatedYears: "Avoid years that are associated with you.",
    sequences: "Avoid common character sequences.",
    repeated: "Avoid repeated words and characters.",
    longerKeyboardPattern: "Use longer keyboard patterns and change direction several times.",
    anotherWord: "Add more words that are less common.",
    useWords: "Use several words, but avoid common phrases.",
    noNeed: "You can make strong passwords without symbols, numbers or capital letters.",
    pwned: "If you use this password elsewhere, change it there too.",
  },
  timeEstimation: {
    ltSecond: "less than a second",
    second: "{base} second",
    seconds: "{base} seconds",
    minute: "{base} minute",
    minutes: "{base} minutes",
    hour: "{base} hour",
    hours: "{base} hours",
    day: "{base} day",
    days: "{base} days",
    month: "{base} month",
    months: "{base} months",
    year: "{base} year",
    years: "{base} years",
    centuries: "centuries",
  },
};

let estimator: Promise<ZxcvbnFactory> | undefined;

/**
 * Loaded on first use: the dictionaries are about a megabyte, needed only when someone sets a
 * password, so the server starts without them (and the dashboard never ships them).
 */
function loadEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= Promise.all([import("@zxcvbn-ts/core"), import("@zxcvbn-ts/language-common")]).then(
    ([{ ZxcvbnFactory }, common]) =>
      new ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs, translations: ENGLISH }),
  );
  return estimator;
}

/** Why a password is too easy to guess, in a sentence; null when it is strong enough. */
export async function passwordWeakness(password: string, userInputs: readonly string[] = []): Promise<string | null> {
  const zxcvbn = await loadEstimator();
  // Their parts and run-together forms are guessable too ("adalovelace", the name before the @).
  const inputs = userInputs
    .flatMap((input) => [input, input.replace(/[@.\s_+-]+/g, ""), ...input.split(/[@.\s_+-]+/)])
    .filter((s) => s.length >= 3);
  const result = zxcvbn.check(password, inputs);
  if (result.score >= MIN_SCORE) return null;
  const why = result.feedback.warning ?? "it could be guessed quickly";
  const how = result.feedback.suggestions.join(" ") || "Use a longer phrase of several uncommon words.";
  return `This password is too easy to guess: ${why}. ${how}`;
}

/** Refuses a weak password, naming the input field it came in. */
export async function assertStrongPassword(
  field: string,
  password: string,
  userInputs: readonly string[] = [],
): Promise<void> {
  const weakness = await passwordWeakness(password, userInputs);
  if (weakness) throw new DomainError("BAD_REQUEST", weakness, { field });
}
