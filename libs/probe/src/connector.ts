/**
 * The connector undici uses for every connection of the prober's Agent: undici's own
 * `buildConnector` (timeout, TLS, session cache) with our lookup, plus two guards.
 * `net.connect` skips `lookup` for IP-literal hosts, so those are checked here before
 * any packet is sent; and the peer address of every opened socket is checked again,
 * so nothing that bypassed the lookup can be used.
 */
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import { BlockedAddressError } from './errors.js';
import type { NetworkPolicy } from './network-policy.js';
import type { LookupFunction } from './resolver.js';

export interface PolicyConnectorOptions {
  connectTimeoutMs: number;
  lookup: LookupFunction;
  policy: NetworkPolicy;
  /** Extra trusted CA certificates (PEM), e.g. a private PKI or a test's self-signed one. */
  ca?: string | string[];
}

/** Builds the connector function for `new Agent({ connect })`. */
export function createPolicyConnector(options: PolicyConnectorOptions): buildConnector.connector {
  const base = buildConnector({
    timeout: options.connectTimeoutMs,
    lookup: options.lookup as never,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  });
  return (connectOptions, callback) => {
    const host = connectOptions.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && !options.policy.allows(host)) {
      callback(new BlockedAddressError(host, host), null);
      return;
    }
    base(connectOptions, (error, socket) => {
      if (error || !socket) {
        callback(error ?? new Error('connector returned no socket'), null);
        return;
      }
      const remote = socket.remoteAddress;
      if (remote === undefined || !options.policy.allows(remote)) {
        socket.destroy();
        callback(new BlockedAddressError(host, remote ?? 'unknown'), null);
        return;
      }
      callback(null, socket);
    });
  };
}
