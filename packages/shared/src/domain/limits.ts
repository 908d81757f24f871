/** Size limits shared by the server (enforced) and clients (to fail early with the same rule). */
export const LIMITS = {
  nameLength: 100,
  shortTextLength: 200,
  descriptionLength: 2_000,
  listItems: 100,
  metadataBytes: 16_384,
  pageSize: 200,
  defaultPageSize: 50,
  passwordMin: 10,
  passwordMax: 256,
  /** Largest HTTP request body the server reads. */
  requestBodyBytes: 1_048_576,
  /** Most calls in one batched HTTP request. */
  batchSize: 100,
  /** Largest WebSocket message the server accepts. */
  wsMessageBytes: 1_048_576,
  /** Most calls in one WebSocket message, as in one HTTP batch. */
  wsCallsPerMessage: 100,
  /** Calls one WebSocket connection may have waiting for an answer at once. */
  wsCallsInFlight: 100,
  /**
   * Deepest nesting of objects and arrays in any input (a report counts from its own root). Checked
   * before anything recursive touches the input, so no value can overflow the stack.
   */
  inputDepth: 32,
} as const;
