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
   * Subscriptions open at once on one WebSocket. Each holds memory while it is open (20,000 on one
   * socket held 208 MiB); a dashboard tab uses under ten, an SDK client one per agent it runs.
   */
  wsSubscriptionsPerSocket: 100,
  /**
   * WebSockets open at once with one API key or one signed-in session (the server's default; the
   * operator can raise it with TOWER_WS_SOCKETS_PER_CREDENTIAL). With the cap above, one credential
   * holds at most 10,000 subscriptions.
   */
  wsSocketsPerCredential: 100,
  /**
   * Data sent to a WebSocket that its client has not read yet. Past this the client is cut off (it
   * reconnects and resumes from its last event id); one that stopped reading held 350 MiB after
   * 50,000 events before this bound.
   */
  wsBufferedBytes: 4_194_304,
  /** Agents in one project. */
  projectAgents: 10_000,
  /** API keys of one project that still work (neither revoked nor expired). */
  projectApiKeys: 100,
  /** Invites of one project not yet used, revoked or expired. */
  projectOpenInvites: 100,
  /** Teams in one project. */
  projectTeams: 1_000,
  /**
   * Approvals one agent may have waiting for a person at once. Each is a row in every approver's
   * inbox (and a push notification): past this, a check that needs one is denied, saying why.
   */
  agentPendingApprovals: 100,
  /**
   * Test suite runs at once on the whole server, whatever project started them: each is a process
   * of the administrator's command, on the server's machine.
   */
  serverRunningSuites: 4,
  /**
   * Aliases (`*name`) in one YAML identity file. The parser resolves each alias by walking the whole
   * document, so 20,000 of them in a 600 KB file held the server for 11 s.
   */
  yamlAliases: 100,
  /**
   * Deepest nesting of objects and arrays in any input (a report counts from its own root). Checked
   * before anything recursive touches the input, so no value can overflow the stack.
   */
  inputDepth: 32,
} as const;
