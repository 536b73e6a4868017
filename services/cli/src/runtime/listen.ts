import { ConfigError } from '@tdm/core';

/** `host:port`, `:port` or `[::1]:port` → parts; port 0 picks a free one. */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen.trim());
  if (!match) throw new ConfigError(`listen address "${listen}": expected host:port`);
  const host = match[1] ?? (match[2] || '0.0.0.0');
  return { host, port: Number(match[3]) };
}
