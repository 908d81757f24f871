import type { InputProblem } from "@tower/shared";
import type { AnyTRPCRouter } from "@trpc/server";
import { z } from "zod";

/**
 * The fields an object schema takes, each with the fields of its value when that is an object (or
 * a list of them) whose schema we can read; null below a field whose value is not checked (a
 * record, free JSON).
 */
export type Shape = Map<string, Shape | null>;

/**
 * The fields each procedure's input may have, read once from its zod parsers. Zod drops fields it
 * does not know, so a misspelt one (`allowedTool`, `rol`, a step's `agnet`) was ignored in silence
 * and the call did something other than asked; every query and mutation now refuses it, naming
 * it, at any depth its schemas describe.
 */
const shapeByPath = new Map<string, Shape>();

/** Learns every procedure's fields from the app's router (root.ts, once it is built). */
export function learnInputFields(router: AnyTRPCRouter): void {
  const procedures = router._def.procedures as Record<string, { _def: { inputs: unknown[] } }>;
  for (const [path, procedure] of Object.entries(procedures)) {
    const shape = shapeOfParsers(procedure._def.inputs);
    if (shape) shapeByPath.set(path, shape);
  }
}

/** The first field of `input` that the procedure at `path` does not take, as an input problem. */
export function unknownFieldProblem(path: string, input: unknown): InputProblem | null {
  const shape = shapeByPath.get(path);
  return shape ? unknownIn(shape, input, []) : null;
}

function unknownIn(shape: Shape, value: unknown, at: (string | number)[]): InputProblem | null {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = unknownIn(shape, value[i], [...at, i]);
      if (problem) return problem;
    }
    return null;
  }
  if (!isPlainObject(value)) return null;
  for (const key of Object.keys(value)) {
    if (!shape.has(key)) {
      // tRPC's infinite queries send the direction they page in beside the cursor.
      if (at.length === 0 && key === "direction" && shape.has("cursor")) continue;
      const takes = [...shape.keys()].join(", ");
      const where = at.length === 0 ? "this call" : at.filter((part) => typeof part === "string").join(".");
      return { path: [...at, key], message: `Unknown field; ${where} takes ${takes}` };
    }
    const below = shape.get(key);
    if (below) {
      const problem = unknownIn(below, value[key], [...at, key]);
      if (problem) return problem;
    }
  }
  return null;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/** The fields of all the parsers together; null when any of them is not an object schema we can read. */
export function shapeOfParsers(parsers: readonly unknown[]): Shape | null {
  let shape: Shape | null = null;
  for (const parser of parsers) {
    const own = shapeOf(parser);
    if (!own) return null;
    shape = shape ? merge(shape, own) : own;
  }
  return shape;
}

/** The shape of an object schema; null for anything else. */
function shapeOf(schema: unknown): Shape | null {
  if (schema instanceof z.ZodObject) {
    // A schema that passes unknown fields on (`z.looseObject`) takes any.
    const catchall = schema.def.catchall;
    if (catchall && !(catchall instanceof z.ZodNever)) return null;
    return new Map(
      Object.entries(schema.shape as Record<string, unknown>).map(([key, field]) => [key, valueShape(field)]),
    );
  }
  if (schema instanceof z.ZodUnion) return mergeAll(schema.options.map(shapeOf));
  if (schema instanceof z.ZodIntersection) return mergeAll([shapeOf(schema.def.left), shapeOf(schema.def.right)]);
  const inner = unwrapped(schema);
  return inner === schema ? null : shapeOf(inner);
}

/** The shape of a field's value: an object, or a list of objects. */
function valueShape(schema: unknown): Shape | null {
  const inner = unwrapped(schema);
  if (inner instanceof z.ZodArray) return valueShape(inner.def.element);
  return inner === schema ? shapeOf(schema) : valueShape(inner);
}

/** What an optional, nullable or defaulted schema wraps, or the input side of a pipe; the schema itself otherwise. */
function unwrapped(schema: unknown): unknown {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    return schema.def.innerType;
  }
  // A pipe whose input side is a transform (`z.preprocess`) may rename fields: not read.
  if (schema instanceof z.ZodPipe && !(schema.def.in instanceof z.ZodTransform)) return schema.def.in;
  return schema;
}

function mergeAll(shapes: (Shape | null)[]): Shape | null {
  let merged: Shape | null = null;
  for (const shape of shapes) {
    if (!shape) return null;
    merged = merged ? merge(merged, shape) : shape;
  }
  return merged;
}

/** Fields of either; below a field both have, what both take (unchecked when either is). */
function merge(a: Shape, b: Shape): Shape {
  const merged: Shape = new Map(a);
  for (const [key, below] of b) {
    if (!merged.has(key)) merged.set(key, below);
    else {
      const mine = merged.get(key)!;
      merged.set(key, mine && below ? merge(mine, below) : null);
    }
  }
  return merged;
}
