/**
 * @tdm/results: the analysts' HTTP API and the consumer that applies check results.
 */
export {
  buildApp,
  DEFAULT_BODY_LIMIT,
  DEFAULT_MAX_REPORTS_PER_REQUEST,
  type AuthOptions,
  type BuildAppOptions,
} from './app.js';
export {
  accessControl,
  countAuditRows,
  SECURITY_SCHEME,
  type AccessOptions,
  type GuardedRoute,
} from './auth/access-plugin.js';
export { SCOPES, SCOPE_DESCRIPTIONS, grants, isScope, type Scope } from './auth/scopes.js';
export { TOKEN_PREFIX, generateToken, generateTokenId, hashToken } from './auth/token-secret.js';
export { TOUCH_INTERVAL_MS } from './auth/authenticator.js';
export type { Principal } from './auth/principal.js';
export { startAuditMaintenance, type AuditMaintenance } from './audit-maintenance.js';
export {
  createResultsConsumer,
  createResultsHandler,
  type ResultsBus,
  type ResultsConsumer,
  type ResultsConsumerOptions,
  type ResultsHandlerOptions,
  type ResultTickets,
} from './consumer.js';
export { sampleItemGauges } from './item-gauges.js';
export {
  API_ERRORS,
  REPORT_ERRORS,
  ApiError,
  type ApiErrorCode,
  type ReportErrorCode,
  type ErrorBody,
} from './errors.js';
export {
  csvField,
  csvHeader,
  csvRow,
  encodeRemovals,
  REMOVAL_FORMATS,
  type RemovalFormat,
} from './removal-format.js';
export { REMOVAL_COLUMNS } from './schemas.js';
export { startCheckLogMaintenance, type CheckLogMaintenance } from './check-log-maintenance.js';
export {
  HSTS_HEADER,
  loadCertificate,
  watchCertificate,
  type CertificateFilesOptions,
  type CertificatePair,
  type CertificateWatch,
} from './https-certificate.js';
