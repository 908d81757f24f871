// Node-only helpers (file system, crypto). Browsers never import this: they take types from "@tower/shared"
// and values from the zod-free "@tower/shared/domain".
export {
  readIdentityFile,
  readIdentityFolder,
  scanIdentityFolder,
  type IdentityFileScan,
  type ReadIdentityOptions,
  type SkippedIdentityFile,
} from "./identity-files";
export {
  clientAddressOf,
  isHttpsRequest,
  normalizeAddress,
  NO_TRUSTED_PROXIES,
  parseTrustedProxies,
  type ProxyTrust,
} from "./trusted-proxies";
export {
  checkAuditRow,
  GENESIS_HASH,
  hashAuditRow,
  type AuditChainBreak,
  type AuditChainContent,
  type AuditChainRow,
} from "./audit-chain";
export {
  auditHeadMessage,
  auditKeyId,
  checkSignedHead,
  compareWithSignedHead,
  signAuditHead,
  type AuditChainEnd,
  type SignedHeadCheck,
} from "./audit-heads";
export { readJsonLines, type JsonLine } from "./json-lines";
export { stopWithParent } from "./stop-with-parent";
