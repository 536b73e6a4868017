/**
 * Report validation: one report of the public contract (product.md) checked field by
 * field and normalised, its URL by normalizeUrl (url.ts), its times by parseTimestamp
 * (timestamp.ts), its hashes and mode by the vocabulary (vocabulary.ts).
 */
import { ValidationError } from './errors.js';
import { describe, quote } from './quote.js';
import { assertStorableText } from './text.js';
import { parseTimestamp } from './timestamp.js';
import type { ExpectedHashes, NormalizedReport } from './types.js';
import { normalizeUrl } from './url.js';
import { HASH_LENGTHS, HASH_NAMES, MODES, isMode, type HashName, type Mode } from './vocabulary.js';

export interface ValidateReportDefaults {
  /** reportedAt when the report gives none. */
  now: Date;
  /** source when the report gives none. */
  source: string;
}

/** The fields of the public report contract (product.md), in documentation order. */
export const REPORT_FIELDS = [
  'url',
  'reportId',
  'source',
  'reportedAt',
  'noticeSentAt',
  'sha256',
  'sha1',
  'md5',
  'mode',
  'labels',
] as const;

/** Longest `reportId` and `source`, in characters. */
export const MAX_REPORT_ID_LENGTH = 200;
/** Most label keys per report. */
export const MAX_LABELS = 32;
/** Longest label key or value, in characters. */
export const MAX_LABEL_LENGTH = 256;

/**
 * Validates one report of the public contract and normalises it.
 *
 * - Unknown fields are refused (`TDM_ERR_FIELD`), so a misspelt `noticeSendAt` is not
 *   silently lost. An optional field that is `null` counts as absent.
 * - A field of the wrong JSON type is `TDM_ERR_FIELD`; a string of the wrong shape gets
 *   the field's own code (`TDM_ERR_URL_*`, `TDM_ERR_TIMESTAMP`, `TDM_ERR_HASH`,
 *   `TDM_ERR_MODE`, `TDM_ERR_REPORT_ID`).
 * - `reportId` and `source` are trimmed; `source` defaults to `defaults.source`,
 *   `reportedAt` to `defaults.now`, `mode` to `http`. Hashes are stored lower-case.
 *
 * @throws ValidationError naming the first bad field; its message quotes the bad value.
 */
export function validateReport(input: unknown, defaults: ValidateReportDefaults): NormalizedReport {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError(
      'TDM_ERR_FIELD',
      'report',
      `report: expected a JSON object, got ${describe(input)}`,
    );
  }
  const record = input as Record<string, unknown>;
  const allowed: ReadonlySet<string> = new Set(REPORT_FIELDS);
  for (const key of Object.keys(record)) {
    if (!allowed.has(key)) {
      throw new ValidationError(
        'TDM_ERR_FIELD',
        key,
        `${key}: unknown field (a report has: ${REPORT_FIELDS.join(', ')})`,
      );
    }
  }
  const field = (name: (typeof REPORT_FIELDS)[number]): unknown => {
    const value = Object.hasOwn(record, name) ? record[name] : undefined;
    return value === null ? undefined : value;
  };

  const rawUrl = field('url');
  if (rawUrl === undefined)
    throw new ValidationError('TDM_ERR_FIELD', 'url', 'url: missing; every report needs a url');
  if (typeof rawUrl !== 'string') {
    throw new ValidationError('TDM_ERR_FIELD', 'url', `url: expected a string, got ${describe(rawUrl)}`);
  }
  assertStorableText('url', 'url', rawUrl);
  const normalized = normalizeUrl(rawUrl);

  const expected: ExpectedHashes = {};
  for (const name of HASH_NAMES) {
    const hash = parseHash(name, field(name));
    if (hash !== undefined) expected[name] = hash;
  }

  const reportedAt = parseReportTimestamp('reportedAt', field('reportedAt'));
  const noticeSentAt = parseReportTimestamp('noticeSentAt', field('noticeSentAt'));

  return {
    reportId: parseIdentifier('reportId', field('reportId')) ?? null,
    source: parseIdentifier('source', field('source')) ?? defaults.source,
    originalUrl: normalized.originalUrl,
    url: normalized.url,
    host: normalized.host,
    registrableDomain: normalized.registrableDomain,
    reportedAt: reportedAt ?? defaults.now,
    noticeSentAt: noticeSentAt ?? null,
    expected,
    mode: parseMode(field('mode')),
    labels: parseLabels(field('labels')),
  };
}

function parseIdentifier(name: 'reportId' | 'source', value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new ValidationError('TDM_ERR_FIELD', name, `${name}: expected a string, got ${describe(value)}`);
  }
  assertStorableText(name, name, value);
  const trimmed = value.trim();
  if (trimmed === '') throw new ValidationError('TDM_ERR_REPORT_ID', name, `${name}: empty`);
  if (trimmed.length > MAX_REPORT_ID_LENGTH) {
    throw new ValidationError(
      'TDM_ERR_REPORT_ID',
      name,
      `${name}: ${trimmed.length} characters, longer than the limit of ${MAX_REPORT_ID_LENGTH}: ${quote(trimmed)}`,
    );
  }
  return trimmed;
}

function parseHash(name: HashName, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new ValidationError(
      'TDM_ERR_FIELD',
      name,
      `${name}: expected a hex string, got ${describe(value)}`,
    );
  }
  const length = HASH_LENGTHS[name];
  if (value.length !== length || !/^[0-9a-f]*$/i.test(value)) {
    throw new ValidationError(
      'TDM_ERR_HASH',
      name,
      `${name}: expected ${length} hex digits, got ${value.length} characters: ${quote(value)}`,
    );
  }
  return value.toLowerCase();
}

function parseMode(value: unknown): Mode {
  if (value === undefined) return 'http';
  if (isMode(value)) return value;
  const expected = MODES.map((mode) => `"${mode}"`).join(' or ');
  if (typeof value !== 'string') {
    throw new ValidationError('TDM_ERR_FIELD', 'mode', `mode: expected ${expected}, got ${describe(value)}`);
  }
  throw new ValidationError('TDM_ERR_MODE', 'mode', `mode: expected ${expected}, got ${quote(value)}`);
}

function parseLabels(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(
      'TDM_ERR_FIELD',
      'labels',
      `labels: expected an object of strings, got ${describe(value)}`,
    );
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_LABELS) {
    throw new ValidationError(
      'TDM_ERR_FIELD',
      'labels',
      `labels: ${entries.length} keys, more than the limit of ${MAX_LABELS}`,
    );
  }
  const labels: Array<[string, string]> = [];
  for (const [key, label] of entries) {
    if (key === '' || key.length > MAX_LABEL_LENGTH) {
      throw new ValidationError(
        'TDM_ERR_FIELD',
        'labels',
        `labels: key ${quote(key)} must have 1 to ${MAX_LABEL_LENGTH} characters`,
      );
    }
    if (typeof label !== 'string') {
      throw new ValidationError(
        'TDM_ERR_FIELD',
        'labels',
        `labels.${key}: expected a string, got ${describe(label)}`,
      );
    }
    if (label.length > MAX_LABEL_LENGTH) {
      throw new ValidationError(
        'TDM_ERR_FIELD',
        'labels',
        `labels.${key}: ${label.length} characters, longer than the limit of ${MAX_LABEL_LENGTH}`,
      );
    }
    assertStorableText('labels', 'labels key', key);
    assertStorableText('labels', `labels.${key}`, label);
    labels.push([key, label]);
  }
  // fromEntries defines own properties, so a key named "__proto__" stays a plain key.
  return Object.fromEntries(labels);
}

function parseReportTimestamp(name: 'reportedAt' | 'noticeSentAt', value: unknown): Date | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new ValidationError(
      'TDM_ERR_FIELD',
      name,
      `${name}: expected an ISO-8601 date-time string such as "2024-05-01T12:00:00Z", got ${describe(value)}`,
    );
  }
  return parseTimestamp(name, value);
}
