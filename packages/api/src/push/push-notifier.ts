import type { AgentStatus, ChangeEvent, PushKind, PushPayload, Role } from "@tower/shared";
import type { Deps } from "../core/deps";
import type { EventBus } from "../core/event-bus";
import type { PushSendOptions } from "../core/ports";
import { policyInForce } from "../policy/policy-store";
import { deliver } from "./push-delivery";
import { agentErrorPayload, approvalPayload, budgetPayload, payloadJson } from "./push-messages";
import { approvalStillPending, previousAgentStatus, projectName, recipients } from "./push-recipients";

/** Budget and agent-error notifications stay this long for a device that is offline. */
const ALERT_TTL_SECONDS = 3_600;

/** What one change is to notify, found without touching the database on the publish path. */
interface Job {
  projectId: string;
  kind: PushKind;
  /** Who among the project's members: a role, or the policy's approver role, looked up later. */
  minimum: Role | "approver";
  payload: (deps: Deps) => PushPayload;
  options: (deps: Deps, payload: PushPayload) => PushSendOptions;
}

/**
 * An event bus that also hands every published change to `onPublish`, after its subscribers. On
 * the publishing side, not a subscriber: with several replicas each change is published by the
 * one that committed it, so each notification would still be sent once.
 */
export function tapPublishes(bus: EventBus, onPublish: (event: ChangeEvent) => void): EventBus {
  return {
    publish(event) {
      bus.publish(event);
      onPublish(event);
    },
    subscribe: (projectId, listener) => bus.subscribe(projectId, listener),
    publishRevocation: (credentialId) => bus.publishRevocation(credentialId),
    subscribeRevocations: (listener) => bus.subscribeRevocations(listener),
    listenerCount: () => bus.listenerCount(),
  };
}

/**
 * Deps whose bus notifies people's devices of what they asked for: an approval waiting for them, an
 * agent at 100 % of a budget, an agent whose status turned to error. Unchanged when push is off.
 */
export function withPushNotifications(deps: Deps): Deps {
  if (!deps.push || deps.push.disabledReason !== null) return deps;
  return { ...deps, bus: tapPublishes(deps.bus, createPushNotifier(deps)) };
}

/**
 * Picks the changes that notify (cheaply, in order, on the publish path) and sends each later, off
 * that path: nothing that published a change ever waits for, or fails with, a notification.
 */
export function createPushNotifier(deps: Deps): (event: ChangeEvent) => void {
  // Each agent's last status seen, so only a turn to error notifies, not every later change of an
  // agent that stays in error (ingest updates an active agent about once a second).
  const statusOf = new Map<string, AgentStatus>();

  function agentTurnedToError(event: Extract<ChangeEvent, { entity: "agent"; op: "created" | "updated" }>): boolean {
    const { id, status } = event.data;
    const before = statusOf.has(id) ? statusOf.get(id) : previousStatus(event, status);
    statusOf.set(id, status);
    return status === "error" && before !== "error";
  }

  /** Read from the change feed only for an agent in error not seen since start (rare). */
  function previousStatus(event: ChangeEvent, status: AgentStatus): AgentStatus | null {
    if (status !== "error" || event.op === "created") return null;
    return previousAgentStatus(deps, event.projectId, event.data.id as string, event.id);
  }

  function jobFor(event: ChangeEvent): Job | null {
    if (event.entity === "approval" && event.op === "created" && event.data.status === "pending") {
      const approval = event.data;
      return {
        projectId: event.projectId,
        kind: "approvals",
        minimum: "approver",
        payload: () => approvalPayload(approval),
        options: (d, payload) => ({
          // Its remaining lifetime: a device that comes online after the approval expired gets nothing.
          ttlSeconds: Math.max(0, Math.floor((approval.expiresAt - d.clock.now()) / 1000)),
          topic: payload.tag,
          urgency: "high",
          stillWanted: () => approvalStillPending(d, approval.id),
        }),
      };
    }
    if (event.entity === "alert" && event.op === "created" && event.data.threshold >= 100) {
      const alert = event.data;
      return alertJob(event.projectId, "budget", (d) => budgetPayload(alert, projectName(d, alert.projectId)));
    }
    if (event.entity === "agent" && event.op === "deleted") statusOf.delete(event.data.id);
    else if (event.entity === "agent" && agentTurnedToError(event)) {
      const agent = { id: event.data.id, name: event.data.name, projectId: event.projectId };
      return alertJob(event.projectId, "agentErrors", (d) => agentErrorPayload(agent, projectName(d, agent.projectId)));
    }
    return null;
  }

  async function run(job: Job) {
    const minimum = job.minimum === "approver" ? policyInForce(deps, job.projectId).document.approverRole : job.minimum;
    const targets = recipients(deps, job.projectId, job.kind, minimum);
    if (targets.length === 0) return;
    const payload = job.payload(deps);
    const json = payloadJson(payload);
    const options = job.options(deps, payload);
    await Promise.all(targets.map((row) => deliver(deps, row, json, options)));
  }

  return (event) => {
    let job: Job | null;
    try {
      job = jobFor(event);
    } catch (error) {
      deps.logger.error({ err: error, changeId: event.id }, "choosing push notifications failed");
      return;
    }
    if (!job) return;
    const picked = job;
    setImmediate(() => {
      run(picked).catch((error: unknown) =>
        deps.logger.error({ err: error, projectId: picked.projectId, kind: picked.kind }, "push notification failed"),
      );
    });
  };
}

function alertJob(projectId: string, kind: PushKind, payload: (deps: Deps) => PushPayload): Job {
  return {
    projectId,
    kind,
    minimum: "viewer",
    payload,
    options: (_deps, built) => ({ ttlSeconds: ALERT_TTL_SECONDS, topic: built.tag, urgency: "high" }),
  };
}
