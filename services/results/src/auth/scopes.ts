/**
 * The scopes of API tokens (a public contract: the names never change). `admin` implies
 * every other scope.
 */
export const SCOPES = ['reports:write', 'items:read', 'stats:read', 'webhooks:write', 'admin'] as const;

export type Scope = (typeof SCOPES)[number];

/** What each scope lets a token do (docs/security.md shows the same table). */
export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'reports:write': 'submit reports (POST /v1/reports)',
  'items:read': 'read anything that shows a URL: items, checks, removals, overdue items, exports',
  'stats:read': 'statistics and the ranking report, which carry no URL',
  'webhooks:write': 'create and delete webhooks',
  admin: 'tokens, the audit log, and everything the other scopes allow',
};

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** True when a token with `held` scopes may use a route that needs `needed`. */
export function grants(held: readonly string[], needed: Scope): boolean {
  return held.includes('admin') || held.includes(needed);
}
