import { request } from 'node:http';
import type { Agent, IncomingHttpHeaders } from 'node:http';

/** What a test client saw: a full response, or an error before or during it. */
export interface Seen {
  status: number | null;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The error code (ECONNREFUSED, ECONNRESET, TIMEOUT, …) when the exchange failed. */
  error: string | null;
}

export interface GetOptions {
  address?: string;
  method?: string;
  timeoutMs?: number;
  agent?: Agent | false;
  /** Stop reading after this many body bytes (and destroy the request). */
  maxBytes?: number;
}

/** One HTTP request to the fixture with an explicit Host header, never failing: errors are returned. */
export async function get(port: number, host: string, path: string, opts: GetOptions = {}): Promise<Seen> {
  return await new Promise<Seen>((resolve) => {
    const seen: Seen = { status: null, headers: {}, body: Buffer.alloc(0), error: null };
    const parts: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (error: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      seen.body = Buffer.concat(parts);
      seen.error = error;
      resolve(seen);
    };
    const req = request(
      {
        host: opts.address ?? '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { host },
        agent: opts.agent ?? false,
      },
      (res) => {
        seen.status = res.statusCode ?? null;
        seen.headers = res.headers;
        res.on('data', (c: Buffer) => {
          received += c.length;
          parts.push(c);
          if (opts.maxBytes !== undefined && received >= opts.maxBytes) {
            req.destroy();
            finish('MAX_BYTES');
          }
        });
        res.on('end', () => finish(null));
        res.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
        res.on('aborted', () => finish('ABORTED'));
      },
    );
    // A deadline on the whole exchange: node's own `timeout` is an idle timeout, which a
    // trickling server never trips.
    const deadline = setTimeout(() => {
      finish('TIMEOUT');
      req.destroy();
    }, opts.timeoutMs ?? 10_000);
    req.on('close', () => clearTimeout(deadline));
    req.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    req.end();
  });
}
