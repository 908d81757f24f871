"use client";
import { POLICY_EFFECTS, type PolicyEffect } from "@tower/shared/domain";
import type { ComponentPropsWithoutRef } from "react";
import { EFFECT_LABELS } from "./format";

/**
 * A policy effect to choose: allow, deny or require approval, in the Policy page's words. Labelled
 * by its `Field` (pass the field's props through: `id`, `aria-invalid`, `aria-describedby`).
 */
export function EffectSelect({
  value,
  onChange,
  ...control
}: Omit<ComponentPropsWithoutRef<"select">, "value" | "onChange" | "children"> & {
  value: string;
  onChange(effect: PolicyEffect): void;
}) {
  return (
    <select {...control} value={value} onChange={(e) => onChange(e.target.value as PolicyEffect)}>
      {POLICY_EFFECTS.map((effect) => (
        <option key={effect} value={effect}>
          {EFFECT_LABELS[effect]}
        </option>
      ))}
    </select>
  );
}
