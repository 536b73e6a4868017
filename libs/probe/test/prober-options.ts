/** Prober options for loopback tests: a name map, loopback allowed, short timeouts. */
import type { HttpProberOptions } from '@tdm/probe';

/**
 * `dnsServers` must point at a loopback port (a dnsmasq, or a closed port as a guard) so
 * that no made-up name ever reaches the machine's own resolver.
 */
export function loopbackOptions(
  dnsServers: string[],
  overrides: Partial<HttpProberOptions> = {},
): HttpProberOptions {
  return {
    connectTimeoutMs: 2000,
    headersTimeoutMs: 1500,
    checkTimeoutMs: 4000,
    maxBodyBytes: 1024 * 1024,
    maxRedirects: 5,
    userAgent: 'TakedownMonitor-test/0.1',
    dnsServers,
    hostMap: { 'site.test': '127.0.0.1', 'other.test': '127.0.0.2' },
    allowRanges: ['127.0.0.0/8'],
    placeholderSha256: [],
    placeholderUrlPatterns: [],
    ...overrides,
  };
}
