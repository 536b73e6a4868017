/**
 * What the two proxies in front of Chromium share (the per-check egress proxy and the
 * browser-wide refusing proxy): how a target authority is named and parsed, and how a
 * proxy listens on a free loopback port.
 */
import type { Server } from 'node:http';

/** The `host:port` key of a URL (lower-case host without brackets, default port filled in). */
export function authorityOf(url: string | URL): string | null {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return null;
  }
  const port = parsed.port || (parsed.protocol === 'https:' || parsed.protocol === 'wss:' ? '443' : '80');
  return `${parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase()}:${port}`;
}

/** Parses a CONNECT target `host:port` / `[v6]:port`. */
export function parseConnectTarget(target: string | undefined): { host: string; port: number } | null {
  if (!target) return null;
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(target.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65_535) return null;
  return { host: host.toLowerCase(), port };
}

/** Listens on 127.0.0.1, a free port; resolves the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}
