/**
 * The OpenAPI document the service serves passes `redocly lint` with the recommended rules,
 * warnings included: servers, security, an operationId and a 4xx answer on every
 * operation. A route added without them fails here.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openHarness, type Harness } from './support.js';

const run = promisify(execFile);
const CLI = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')),
  'bin/cli.js',
);

interface Problem {
  ruleId: string;
  severity: string;
  message: string;
  location: Array<{ pointer: string }>;
}

type Operation = { operationId?: string; security?: unknown[]; responses: Record<string, unknown> };
interface OpenApiDocument {
  servers?: Array<{ url: string; variables?: Record<string, { default: string }> }>;
  security?: unknown[];
  components: { securitySchemes?: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
}

describe('GET /openapi.json', () => {
  let h: Harness;
  let doc: OpenApiDocument;
  let dir: string;
  beforeAll(async () => {
    h = await openHarness(BACKENDS[0]!);
    doc = (await h.app.inject({ url: '/openapi.json' })).json<OpenApiDocument>();
    dir = await mkdtemp(path.join(tmpdir(), 'tdm-openapi-'));
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes redocly lint (recommended rules) without an error or a warning', async () => {
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc));
    // No telemetry and no update check: the linter must not reach beyond this machine.
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
    const lint = await run(
      process.execPath,
      [CLI, 'lint', '--extends=recommended', '--format=json', 'openapi.json'],
      { cwd: dir, env, timeout: 60_000 },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const { problems } = JSON.parse(lint.stdout) as { problems: Problem[] };
    expect(
      problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`),
    ).toEqual([]);
  });

  it('gives every operation a unique camelCase operationId and a 4xx answer', () => {
    const ids: string[] = [];
    for (const [route, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.operationId, `${method} ${route}`).toMatch(/^[a-z][a-zA-Z0-9]*$/);
        ids.push(String(operation.operationId));
        expect(Object.keys(operation.responses).some((status) => /^4\d\d$/.test(status))).toBe(true);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/v1/removals']?.['get']?.operationId).toBe('listRemovals');
  });

  it('declares bearer authentication for the API and none for probes, metrics and itself', () => {
    expect(doc.components.securitySchemes?.['bearerAuth']).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    for (const route of ['/healthz', '/readyz', '/metrics', '/openapi.json'])
      expect(doc.paths[route]?.['get']?.security, route).toEqual([]);
    for (const route of Object.keys(doc.paths).filter((r) => r.startsWith('/v1/')))
      for (const operation of Object.values(doc.paths[route] ?? {}))
        expect(operation.security, route).toBeUndefined();
  });

  it('names the server at the default listen address (TDM_LISTEN)', () => {
    expect(doc.servers?.[0]?.url).toBe('http://{listen}');
    expect(doc.servers?.[0]?.variables?.['listen']?.default).toBe('127.0.0.1:8080');
  });
});
