/**
 * The prober's own errors. They travel through undici (our lookup and connector raise
 * them inside the connection attempt) and come back to classify.ts, which maps them to
 * the domain's reasons by class and code, never by message.
 */
import { TdmError } from '@tdm/core';

/** The network policy refused an address; no packet was sent to it. */
export class BlockedAddressError extends TdmError {
  readonly host: string;
  readonly address: string;
  constructor(host: string, address: string) {
    super('TDM_ERR_BLOCKED', `address ${address} of ${host} is not allowed by the network policy`);
    this.host = host;
    this.address = address;
  }
}

/**
 * What went wrong in a name lookup:
 * - `nxdomain`: the name does not exist, or has no A/AAAA records (NODATA);
 * - `temporary`: a DNS server answered with a failure (SERVFAIL, REFUSED, bad answer);
 * - `unavailable`: our DNS servers did not answer at all (refused, timed out, unreachable).
 */
export type DnsFailureKind = 'nxdomain' | 'temporary' | 'unavailable';

/** A name lookup failed; `dnsCode` is the resolver's code (ENOTFOUND, ESERVFAIL, ...). */
export class DnsLookupError extends TdmError {
  readonly host: string;
  readonly kind: DnsFailureKind;
  readonly dnsCode: string;
  constructor(host: string, kind: DnsFailureKind, dnsCode: string, options?: { cause?: unknown }) {
    super('TDM_ERR_DNS', `lookup of ${host} failed: ${dnsCode}`, options);
    this.host = host;
    this.kind = kind;
    this.dnsCode = dnsCode;
  }
}

/** The whole check ran out of time (checkTimeoutMs). */
export class CheckTimeoutError extends TdmError {
  constructor(timeoutMs: number) {
    super('TDM_ERR_CHECK_TIMEOUT', `check did not finish within ${timeoutMs} ms`);
  }
}

/** The caller aborted the check (the worker is shutting down). */
export class CheckAbortedError extends TdmError {
  constructor(options?: { cause?: unknown }) {
    super('TDM_ERR_CHECK_ABORTED', 'check aborted by the caller', options);
  }
}
