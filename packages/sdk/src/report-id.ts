import { V7Generator } from "uuidv7";

// The library refills its randomness 8 values at a time, a call into the system every few ids; an
// agent reporting thousands of items a second spends less drawing them 1,024 at a time.
const random = new Uint32Array(1_024);
let next = random.length;
const generator = new V7Generator({
  nextUint32() {
    if (next === random.length) {
      crypto.getRandomValues(random);
      next = 0;
    }
    return random[next++]!;
  },
});

/** A report's idempotency key: a UUIDv7, so ids grow with time (Tower's unique index appends). */
export function reportId(): string {
  return generator.generate().toString();
}
