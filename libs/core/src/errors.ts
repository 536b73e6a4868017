/**
 * Typed errors with stable codes. Callers branch on `code` (or the class), never on
 * the message text. The API maps `ValidationError.code` to its per-report error codes.
 */
export class TdmError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A setting is missing, malformed or out of range. */
export class ConfigError extends TdmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TDM_ERR_CONFIG', message, options);
  }
}

/** Stable codes for rejected input (a report, a query parameter, an import row). */
export const VALIDATION_CODES = {
  TDM_ERR_URL_INVALID: 'the url is not an absolute URL',
  TDM_ERR_URL_SCHEME: 'the url scheme is not http or https',
  TDM_ERR_URL_TOO_LONG: 'the url is longer than the limit',
  TDM_ERR_URL_CREDENTIALS: 'the url carries a user name or password',
  TDM_ERR_TIMESTAMP: 'a timestamp is not an ISO-8601 date-time',
  TDM_ERR_HASH: 'a hash is not hex of the right length',
  TDM_ERR_MODE: 'mode is not "http" or "browser"',
  TDM_ERR_FIELD: 'a field has the wrong type or is unknown',
  TDM_ERR_REPORT_ID: 'reportId or source is empty or too long',
  TDM_ERR_TEXT: 'a string holds a NUL character or a lone UTF-16 surrogate (not storable text)',
} as const;
export type ValidationCode = keyof typeof VALIDATION_CODES;

/** One input value is unacceptable; `field` names it. */
export class ValidationError extends TdmError {
  readonly field: string;
  constructor(code: ValidationCode, field: string, message: string) {
    super(code, message);
    this.field = field;
  }
}
