"use client";
import { Component, lazy, Suspense, useState, type ComponentType, type ReactNode } from "react";
import { ErrorText } from "./states";

/** What a failed chunk load shows instead of crashing the page: a message and a retry. */
class LoadBoundary extends Component<{ children: ReactNode; onRetry(): void }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <ErrorText context="Could not load this part of the page.">
        {" "}
        <button type="button" className="link-button" onClick={() => this.props.onRetry()}>
          Try again
        </button>
      </ErrorText>
    );
  }
}

/**
 * A component whose code is fetched the first time it renders, in a chunk of its own. For what is
 * never part of a page's first paint (dialogs and drawers opened by a click), so that code stays
 * out of the route's first-load JavaScript. Renders nothing while the chunk loads; if the load
 * fails (offline), says so with a retry instead of taking the page down.
 */
export function lazyComponent<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  const create = () => lazy(async () => ({ default: await load() })) as unknown as ComponentType<P>;
  let Lazy = create();
  function LazyComponent(props: P) {
    const [attempt, setAttempt] = useState(0);
    const retry = () => {
      Lazy = create();
      setAttempt((n) => n + 1);
    };
    return (
      // A new key gives the retry a fresh boundary.
      <LoadBoundary key={attempt} onRetry={retry}>
        <Suspense fallback={null}>
          <Lazy {...props} />
        </Suspense>
      </LoadBoundary>
    );
  }
  return LazyComponent;
}
