/**
 * The virtual-host key of a Host header or a host given to set(): lower-case, port and
 * IPv6 brackets and a trailing dot removed, so `A.Test:8080`, `a.test.` and `a.test` match.
 */
export function hostKey(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : h;
  }
  const colon = h.indexOf(':');
  // One colon is host:port; several mean a bare IPv6 address, which has no port here.
  if (colon >= 0 && colon === h.lastIndexOf(':')) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/** A path key: always starts with '/'. Query strings are kept (see FixtureWeb.set). */
export function pathKey(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

/** The request target as a path (origin-form), also for absolute-form targets (`GET http://h/p`). */
export function targetPath(url: string | undefined): string {
  if (!url) return '/';
  if (url.startsWith('/')) return url;
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return pathKey(url);
  }
}
