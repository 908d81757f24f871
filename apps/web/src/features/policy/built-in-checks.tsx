import { BUILT_IN_CHECK_TEXT, BUILT_IN_CHECKS } from "@tower/shared/domain";

/** The checks made before any rule, in order: the first that fails denies, and no rule can lift them. */
export function BuiltInChecks() {
  return (
    <section className="card" aria-labelledby="checks-title">
      <h2 id="checks-title">Built-in checks</h2>
      <p className="muted">
        Made first, in this order, from each agent&apos;s registration; the first that fails denies the request. Rules
        can add restrictions and approvals but never lift these.
      </p>
      <ol className="check-list">
        {BUILT_IN_CHECKS.map((check) => (
          <li key={check} data-check={check}>
            <code>{check}</code> — {BUILT_IN_CHECK_TEXT[check]}
          </li>
        ))}
      </ol>
    </section>
  );
}
