/**
 * The Host allow-list against DNS rebinding: a web page on evil.example can make its name
 * resolve to 127.0.0.1 and then read a workstation's loopback API as same-origin; the
 * browser still sends `Host: evil.example`, so the API answers only names it knows.
 *
 * Always allowed: `localhost`, and IP literals, because a rebinding attack needs a name
 * (a page can send a request to `http://127.0.0.1:8080` but cannot read the answer without
 * CORS, which the API never grants). That also keeps Kubernetes probes and Prometheus
 * working, which address the pod by its IP, so /healthz needs no exception.
 */
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './errors.js';

/** The host name of a Host header value: no port, lower-case, no trailing dot, IPv6 unbracketed. */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('['))
    return value.slice(1, value.indexOf(']') === -1 ? undefined : value.indexOf(']'));
  const colon = value.lastIndexOf(':');
  const name = colon === -1 ? value : value.slice(0, colon);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** Compiles the allow-list; `*` allows every name. */
export function hostAllowList(names: readonly string[]): (header: string | undefined) => boolean {
  const allowed = new Set(names.map((name) => hostName(name)).filter((name) => name !== ''));
  if (allowed.has('*')) return () => true;
  return (header) => {
    // HTTP/1.0 clients may send none; Node refuses HTTP/1.1 requests without one.
    if (header === undefined) return true;
    const name = hostName(header);
    return name === 'localhost' || isIP(name) !== 0 || allowed.has(name);
  };
}

/** An onRequest hook answering 421 to a Host outside the allow-list. */
export function hostGuard(names: readonly string[]) {
  const allowed = hostAllowList(names);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (allowed(request.headers.host)) return;
    await reply
      .code(421)
      .send(
        errorBody(
          'TDM_ERR_HOST_NOT_ALLOWED',
          'this Host is not served here; add the name to TDM_ALLOWED_HOSTS if clients use it',
        ),
      );
  };
}
