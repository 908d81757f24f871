import type { ChangeEvent } from "@tower/shared";

/**
 * Fan-out of committed changes to live subscribers. Payloads are plain JSON so a Redis pub/sub
 * implementation can replace this one when several server replicas run.
 */
export interface EventBus {
  publish(event: ChangeEvent): void;
  subscribe(projectId: string, listener: (event: ChangeEvent) => void): () => void;
  /** A session or API key was revoked: live streams opened with it must end. */
  publishRevocation(credentialId: string): void;
  subscribeRevocations(listener: (credentialId: string) => void): () => void;
  /** Live listeners, for health and metrics. */
  listenerCount(): number;
}

export function createInProcessEventBus(): EventBus {
  const byProject = new Map<string, Set<(event: ChangeEvent) => void>>();
  const revocationListeners = new Set<(credentialId: string) => void>();
  let count = 0;
  return {
    publish(event) {
      const listeners = byProject.get(event.projectId);
      if (!listeners) return;
      for (const listener of listeners) listener(event);
    },
    subscribe(projectId, listener) {
      let listeners = byProject.get(projectId);
      if (!listeners) byProject.set(projectId, (listeners = new Set()));
      listeners.add(listener);
      count++;
      return () => {
        if (listeners.delete(listener)) count--;
        if (listeners.size === 0) byProject.delete(projectId);
      };
    },
    publishRevocation(credentialId) {
      for (const listener of revocationListeners) listener(credentialId);
    },
    subscribeRevocations(listener) {
      revocationListeners.add(listener);
      return () => revocationListeners.delete(listener);
    },
    listenerCount: () => count,
  };
}
