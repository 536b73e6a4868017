/**
 * JSON codec with shape validation. Anything can be published on a subject (a bug, an
 * old version, a hostile client), so a decoded message is checked field by field before
 * a worker trusts it; a bad one becomes a BusDecodeError, never a crash deeper down.
 */
import {
  HASH_NAMES,
  HASH_LENGTHS,
  ValidationError,
  isMode,
  isOutcome,
  isReason,
  mediaTypeEssence,
  parseTimestamp,
  type CheckJob,
  type CheckResult,
  type ExpectedHashes,
  type HashName,
  type RedirectHop,
} from '@tdm/core';
import { BusDecodeError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Larger messages are refused before JSON.parse (the stream's own limit is similar). */
export const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_STRING = 16 * 1024;
const MAX_REDIRECTS = 100;

type Obj = Record<string, unknown>;

function fail(message: string): never {
  throw new BusDecodeError(message);
}

function parseObject(data: Uint8Array, what: string): Obj {
  if (data.byteLength > MAX_MESSAGE_BYTES) fail(`${what}: message of ${data.byteLength} bytes is too large`);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch (error) {
    throw new BusDecodeError(`${what}: not UTF-8 JSON`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what}: not a JSON object`);
  return value as Obj;
}

function str(obj: Obj, key: string, what: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_STRING)
    fail(`${what}.${key}: expected a non-empty string`);
  return v;
}

function nullableStr(obj: Obj, key: string, what: string): string | null {
  const v = obj[key];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string' || v.length > MAX_STRING) fail(`${what}.${key}: expected a string or null`);
  return v;
}

/**
 * A time field, read by the product's one timestamp rule (parseTimestamp in @tdm/core)
 * and kept as the string it was. The codec accepts everything the API accepts, not only
 * what it writes itself: its own output is `Date#toISOString` of an instant in the years
 * 1 to 9999 (`2026-05-01T12:00:00.000Z`), which that rule always accepts, and one rule for
 * every entry point is worth more than a narrower one here. What it refuses (no zone, no
 * such day, free text, years outside 1–9999) would otherwise fail later in the store.
 */
function isoTime(obj: Obj, key: string, what: string): string {
  const v = str(obj, key, what);
  try {
    parseTimestamp(`${what}.${key}`, v);
  } catch (error) {
    if (error instanceof ValidationError) throw new BusDecodeError(error.message, { cause: error });
    throw error;
  }
  return v;
}

function int(obj: Obj, key: string, what: string, min = 0): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    fail(`${what}.${key}: expected an integer ≥ ${min}`);
  return v;
}

function nonNegative(obj: Obj, key: string, what: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`${what}.${key}: expected a number ≥ 0`);
  return v;
}

function nullableInt(obj: Obj, key: string, what: string): number | null {
  const v = obj[key];
  if (v === null || v === undefined) return null;
  return int(obj, key, what);
}

function hash(obj: Obj, key: HashName, what: string): string | null {
  const v = nullableStr(obj, key, what);
  if (v === null) return null;
  if (v.length !== HASH_LENGTHS[key] || !/^[0-9a-f]+$/.test(v))
    fail(`${what}.${key}: not lower-case hex of the right length`);
  return v;
}

function expectedHashes(value: unknown, what: string): ExpectedHashes {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail(`${what}.expected: not an object`);
  const obj = value as Obj;
  const out: ExpectedHashes = {};
  for (const key of HASH_NAMES) {
    const v = hash(obj, key, `${what}.expected`);
    if (v !== null) out[key] = v;
  }
  // Optional: the media type of the item's first online check (soft-removal rule).
  const contentType = nullableStr(obj, 'contentType', `${what}.expected`);
  if (contentType !== null) {
    // `type/subtype` as the store records it: already an essence (lower-case, no parameters).
    if (mediaTypeEssence(contentType) !== contentType)
      fail(`${what}.expected.contentType: not a lower-case type/subtype`);
    out.contentType = contentType;
  }
  return out;
}

function redirects(value: unknown, what: string): RedirectHop[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_REDIRECTS) fail(`${what}.redirects: expected an array`);
  return value.map((hop: unknown, i) => {
    if (typeof hop !== 'object' || hop === null) fail(`${what}.redirects[${i}]: not an object`);
    const h = hop as Obj;
    return {
      url: str(h, 'url', `${what}.redirects[${i}]`),
      status: int(h, 'status', `${what}.redirects[${i}]`),
      ip: nullableStr(h, 'ip', `${what}.redirects[${i}]`),
    };
  });
}

/** Encodes a job; a job with an unknown mode is a programming error and throws. */
export function encodeJob(job: CheckJob): Uint8Array {
  if (!isMode(job.mode)) throw new BusDecodeError(`job ${job.jobId}: unknown mode "${String(job.mode)}"`);
  return encoder.encode(JSON.stringify(job));
}

/** Decodes and validates a job; throws BusDecodeError on any deviation. */
export function decodeJob(data: Uint8Array): CheckJob {
  const what = 'job';
  const o = parseObject(data, what);
  const mode = str(o, 'mode', what);
  if (!isMode(mode)) fail(`job.mode: "${mode}" is not http or browser`);
  const url = str(o, 'url', what);
  if (!/^https?:\/\//i.test(url)) fail('job.url: not an http(s) URL');
  // Optional: jobs of schedulers without cluster-wide pacing carry none.
  const notBefore =
    o['notBefore'] === undefined || o['notBefore'] === null ? undefined : isoTime(o, 'notBefore', what);
  const ticket = optionalTicket(o, what);
  return {
    jobId: str(o, 'jobId', what),
    itemId: int(o, 'itemId', what, 1),
    url,
    registrableDomain: str(o, 'registrableDomain', what),
    mode,
    scheduledAt: isoTime(o, 'scheduledAt', what),
    expected: expectedHashes(o['expected'], what),
    publishedAt: isoTime(o, 'publishedAt', what),
    ...(notBefore !== undefined ? { notBefore } : {}),
    ...(ticket !== undefined ? { ticket } : {}),
  };
}

/** The job ticket (base64url of an HMAC-SHA256); absent in messages of older versions. */
function optionalTicket(obj: Obj, what: string): string | undefined {
  const v = obj['ticket'];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(v)) fail(`${what}.ticket: not base64url`);
  return v;
}

export function encodeResult(result: CheckResult): Uint8Array {
  return encoder.encode(JSON.stringify(result));
}

/*
 * Result messages come in two shapes, told apart by their top level:
 * - a batch (since issue 4): `{"results": [<result>, …]}`, published by crawlers;
 * - a single result: `{<result>}` (no `results` key), published by older crawlers, still
 *   decoded so that their results apply during a rolling upgrade.
 */
const BATCH_OPEN = encoder.encode('{"results":[');
const BATCH_CLOSE = encoder.encode(']}');
const COMMA = encoder.encode(',');

/** Size of a batch message holding results that encode to `resultBytes` bytes in total. */
export function resultBatchBytes(count: number, resultBytes: number): number {
  return (
    BATCH_OPEN.byteLength + resultBytes + Math.max(0, count - 1) * COMMA.byteLength + BATCH_CLOSE.byteLength
  );
}

/**
 * Joins results already encoded with encodeResult() into one batch message. A batcher
 * encodes each result as it arrives (to know the message size before it overflows), so
 * joining bytes here saves encoding everything twice.
 */
export function joinEncodedResults(encoded: readonly Uint8Array[]): Uint8Array {
  const size = resultBatchBytes(
    encoded.length,
    encoded.reduce((sum, part) => sum + part.byteLength, 0),
  );
  const out = new Uint8Array(size);
  out.set(BATCH_OPEN, 0);
  let at = BATCH_OPEN.byteLength;
  encoded.forEach((part, i) => {
    if (i > 0) {
      out.set(COMMA, at);
      at += COMMA.byteLength;
    }
    out.set(part, at);
    at += part.byteLength;
  });
  out.set(BATCH_CLOSE, at);
  return out;
}

/** Encodes results as one batch message. */
export function encodeResultBatch(results: readonly CheckResult[]): Uint8Array {
  return joinEncodedResults(results.map(encodeResult));
}

/** What one result message held: the valid results, and an error per invalid element. */
export interface DecodedResultBatch {
  results: CheckResult[];
  /** Elements that failed validation; the valid ones of the same message are still kept. */
  malformed: BusDecodeError[];
}

/**
 * Decodes a result message of either shape. Every element is validated as decodeResult()
 * does, one by one, so that a bad element does not lose the good ones. Throws a
 * BusDecodeError only when the message as a whole is unusable: not JSON, too large, not
 * an object, a `results` that is not an array, or a single (legacy) result that is invalid.
 */
export function decodeResultBatch(data: Uint8Array): DecodedResultBatch {
  const o = parseObject(data, 'result message');
  if (!('results' in o)) return { results: [resultFromObject(o, 'result')], malformed: [] };
  const elements = o['results'];
  if (!Array.isArray(elements)) fail('result message.results: expected an array');
  const decoded: DecodedResultBatch = { results: [], malformed: [] };
  elements.forEach((element: unknown, i) => {
    const what = `results[${i}]`;
    try {
      if (typeof element !== 'object' || element === null || Array.isArray(element))
        fail(`${what}: not a JSON object`);
      decoded.results.push(resultFromObject(element as Obj, what));
    } catch (error) {
      if (!(error instanceof BusDecodeError)) throw error;
      decoded.malformed.push(error);
    }
  });
  return decoded;
}

/** Decodes and validates a single check result; throws BusDecodeError on any deviation. */
export function decodeResult(data: Uint8Array): CheckResult {
  return resultFromObject(parseObject(data, 'result'), 'result');
}

function resultFromObject(o: Obj, what: string): CheckResult {
  const outcome = str(o, 'outcome', what);
  if (!isOutcome(outcome)) fail(`${what}.outcome: "${outcome}" is unknown`);
  const reason = nullableStr(o, 'reason', what);
  if (reason !== null && !isReason(reason)) fail(`${what}.reason: "${reason}" is unknown`);
  const ticket = optionalTicket(o, what);
  return {
    jobId: str(o, 'jobId', what),
    itemId: int(o, 'itemId', what, 1),
    scheduledAt: isoTime(o, 'scheduledAt', what),
    startedAt: isoTime(o, 'startedAt', what),
    durationMs: nonNegative(o, 'durationMs', what),
    workerId: str(o, 'workerId', what),
    outcome,
    reason,
    httpStatus: nullableInt(o, 'httpStatus', what),
    ip: nullableStr(o, 'ip', what),
    finalUrl: str(o, 'finalUrl', what),
    redirects: redirects(o['redirects'], what),
    contentType: nullableStr(o, 'contentType', what),
    bytes: int(o, 'bytes', what),
    sha256: hash(o, 'sha256', what),
    sha1: hash(o, 'sha1', what),
    md5: hash(o, 'md5', what),
    error: nullableStr(o, 'error', what),
    ...(ticket !== undefined ? { ticket } : {}),
  };
}
