"use client";
import type { Approval } from "@tower/shared";
import { POLICY_LIMITS } from "@tower/shared/domain";
import { useState } from "react";
import { useDecide } from "./hooks";

export const DEFAULT_GRANT_MINUTES = 60;

/** One pending approval's decision form: the comment, the optional grant, and the call. */
export function useDecision(projectId: string, approval: Approval, onFailed?: (error: unknown) => void) {
  const decide = useDecide(projectId, onFailed);
  const [comment, setComment] = useState("");
  const [grant, setGrant] = useState(false);
  const [minutes, setMinutes] = useState(String(DEFAULT_GRANT_MINUTES));
  const grantMinutes = Number(minutes);
  const minutesValid =
    Number.isInteger(grantMinutes) && grantMinutes >= 1 && grantMinutes <= POLICY_LIMITS.grantMaxMinutes;

  function submit(decision: "approve" | "deny") {
    if (decision === "approve" && grant && !minutesValid) return;
    decide.mutate({
      projectId,
      id: approval.id,
      decision,
      comment: comment.trim(),
      ...(decision === "approve" && grant ? { grantMinutes } : {}),
    });
  }

  return {
    comment,
    setComment,
    grant,
    setGrant,
    minutes,
    setMinutes,
    minutesError:
      grant && !minutesValid
        ? `Whole minutes from 1 to ${POLICY_LIMITS.grantMaxMinutes.toLocaleString("en-US")}`
        : null,
    submit,
    pending: decide.isPending,
    error: decide.error,
    /** Which button was pressed last (its label shows progress). */
    deciding: decide.isPending ? decide.variables?.decision : undefined,
  };
}
