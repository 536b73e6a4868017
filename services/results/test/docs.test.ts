import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VALIDATION_CODES } from '@tdm/core';
import { API_ERRORS, REPORT_ERRORS } from '@tdm/results';
import { BACKENDS, openHarness } from './support.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/api.md', import.meta.url)), 'utf8');

describe('docs/api.md', () => {
  it('documents every request error code with its HTTP status', () => {
    for (const [code, { status }] of Object.entries(API_ERRORS)) {
      expect(doc, code).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`));
    }
  });

  it('documents every per-report code, including every validation code of @tdm/core', () => {
    for (const code of [...Object.keys(REPORT_ERRORS), ...Object.keys(VALIDATION_CODES)]) {
      expect(doc, code).toContain(`\`${code}\``);
    }
  });

  it('documents every route', () => {
    for (const route of [
      'POST /v1/reports',
      'POST /v1/tokens',
      'GET /v1/tokens',
      'DELETE /v1/tokens/{id}',
      'GET /v1/audit',
      'GET /v1/items/{itemId}',
      'GET /v1/items/{itemId}/checks',
      'GET /v1/removals',
      'GET /metrics',
      'GET /healthz',
      'GET /readyz',
      'GET /openapi.json',
    ]) {
      expect(doc, route).toContain(route);
    }
  });

  it('lists every /v1 route the app registers with its scope (docs/security.md too)', async () => {
    const h = await openHarness(BACKENDS[0]!);
    try {
      const security = readFileSync(
        fileURLToPath(new URL('../../../docs/security.md', import.meta.url)),
        'utf8',
      );
      for (const route of h.app.guardedRoutes.filter((r) => r.method !== 'HEAD')) {
        const name = `${route.method} ${route.url.replace(/:([A-Za-z]+)/g, '{$1}')}`;
        expect(doc, name).toMatch(new RegExp(`\\|\\s*\`${name}\`\\s*\\|\\s*\`${route.scope}\`\\s*\\|`));
        expect(security, route.scope).toContain(`| \`${route.scope}\` |`);
      }
    } finally {
      await h.close();
    }
  });
});
