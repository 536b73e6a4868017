import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  SETTINGS,
  configurationMarkdown,
  loadConfig,
  parseBytes,
  parseDuration,
} from '@tdm/core';

const dir = mkdtempSync(path.join(tmpdir(), 'tdm-core-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function configFile(content: unknown): string {
  const file = path.join(dir, `config-${fileCount++}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('loadConfig defaults', () => {
  const config = loadConfig({ env: {} });

  it('compiles every default', () => {
    expect(config).toMatchObject({
      natsUrl: [],
      databaseUrl: '',
      dataDir: './data',
      listen: '127.0.0.1:8080',
      checkIntervalMs: 15 * 60_000,
      schedulePolicy: null,
      offlineRecheckIntervalMs: 6 * 3600_000,
      confirmRecheckDelayMs: 60_000,
      confirmDefinitive: 2,
      confirmTransient: 4,
      confirmTransientMinSpanMs: 30 * 60_000,
      checkTimeoutMs: 30_000,
      maxBodyBytes: 64 * 1024 * 1024,
      maxRedirects: 10,
      maxHeaderBytes: 256 * 1024,
      keepAlive: true,
      browserPages: 2,
      schedulerTickMs: 50,
      domainRate: 2,
      hostMap: {},
      allowRanges: [],
      checkLog: true,
      checkLogRetentionMs: 30 * 86_400_000,
      jobAckWaitMs: 90_000,
    });
  });

  it('has one field per setting, durations with the Ms suffix', () => {
    const expected = Object.entries(SETTINGS).map(([name, spec]) =>
      spec.kind === 'duration' ? `${name}Ms` : name,
    );
    expect(Object.keys(config).sort()).toEqual(expected.sort());
  });

  it('binds every setting to its own environment variable', () => {
    const envs = Object.values(SETTINGS).map((spec) => spec.env);
    expect(new Set(envs).size).toBe(envs.length);
  });

  it('ignores the process environment when an env is given', () => {
    expect(loadConfig({ env: {} }).checkIntervalMs).toBe(15 * 60_000);
  });
});

describe('loadConfig precedence', () => {
  it('environment over file over default; overrides over everything', () => {
    const file = configFile({
      checkInterval: '5m',
      TDM_MAX_REDIRECTS: 3,
      domainRate: 0.5,
      userAgent: 'from-file',
    });
    const fromFile = loadConfig({ env: {}, file });
    expect(fromFile.checkIntervalMs).toBe(5 * 60_000);
    expect(fromFile.maxRedirects).toBe(3);
    expect(fromFile.domainRate).toBe(0.5);
    expect(fromFile.userAgent).toBe('from-file');
    expect(fromFile.globalConcurrency).toBe(64);

    const fromEnv = loadConfig({ env: { TDM_CHECK_INTERVAL: '1s', TDM_MAX_REDIRECTS: '0' }, file });
    expect(fromEnv.checkIntervalMs).toBe(1000);
    expect(fromEnv.maxRedirects).toBe(0);
    expect(fromEnv.userAgent).toBe('from-file');

    const overridden = loadConfig({
      env: { TDM_CHECK_INTERVAL: '1s' },
      file,
      overrides: { checkInterval: '2d', maxRedirects: 7 },
    });
    expect(overridden.checkIntervalMs).toBe(2 * 86_400_000);
    expect(overridden.maxRedirects).toBe(7);
  });

  it('finds the file through TDM_CONFIG', () => {
    const file = configFile({ listen: '0.0.0.0:9000' });
    expect(loadConfig({ env: { TDM_CONFIG: file } }).listen).toBe('0.0.0.0:9000');
  });

  it('takes native JSON types from the file', () => {
    const file = configFile({
      natsUrl: ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4223'],
      hostMap: { 'Shop.Example': '127.0.0.2' },
      checkLog: false,
      confirmDefinitive: 3,
      confirmTransient: 3,
    });
    const config = loadConfig({ env: {}, file });
    expect(config.natsUrl).toEqual(['nats://127.0.0.1:4222', 'nats://127.0.0.1:4223']);
    expect(config.hostMap).toEqual({ 'shop.example': '127.0.0.2' });
    expect(config.checkLog).toBe(false);
    expect(config.confirmTransient).toBe(3);
  });

  it('parses lists, maps, booleans and policies from the environment', () => {
    const config = loadConfig({
      env: {
        NATS_URL: ' nats://a:4222 , ,nats://b:4222',
        TDM_HOST_MAP: 'a.test=127.0.0.1, B.test = 127.0.0.2',
        TDM_CHECK_LOG: 'off',
        TDM_SCHEDULE_POLICY: '5m for 24h, then 1h',
        TDM_MAX_BODY_BYTES: '512KiB',
        TDM_KEEP_ALIVE: 'no',
        TDM_MAX_HEADER_BYTES: '32KiB',
        TDM_BROWSER_PAGES: '8',
      },
    });
    expect(config.keepAlive).toBe(false);
    expect(config.maxHeaderBytes).toBe(32 * 1024);
    expect(config.browserPages).toBe(8);
    expect(config.natsUrl).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(config.hostMap).toEqual({ 'a.test': '127.0.0.1', 'b.test': '127.0.0.2' });
    expect(config.checkLog).toBe(false);
    expect(config.schedulePolicy?.phases).toEqual([
      { intervalMs: 5 * 60_000, durationMs: 86_400_000 },
      { intervalMs: 3600_000, durationMs: null },
    ]);
    expect(config.maxBodyBytes).toBe(512 * 1024);
  });
});

describe('loadConfig errors', () => {
  it.each<[Record<string, string>, RegExp]>([
    [{ TDM_CHECK_INTERVAL: '500ms' }, /^TDM_CHECK_INTERVAL \(checkInterval\): 500 is below 1000/],
    [{ TDM_CHECK_INTERVAL: '400d' }, /^TDM_CHECK_INTERVAL \(checkInterval\): \d+ is above/],
    [{ TDM_CHECK_TIMEOUT: 'soon' }, /^TDM_CHECK_TIMEOUT \(checkTimeout\): not a duration: "soon"/],
    [{ TDM_CONCURRENCY: '0' }, /^TDM_CONCURRENCY \(globalConcurrency\): 0 is below 1/],
    [{ TDM_CONCURRENCY: '2.5' }, /^TDM_CONCURRENCY \(globalConcurrency\): not an integer: "2.5"/],
    [{ TDM_DOMAIN_RATE: 'fast' }, /^TDM_DOMAIN_RATE \(domainRate\): not a number/],
    [{ TDM_MAX_BODY_BYTES: '1TB' }, /^TDM_MAX_BODY_BYTES \(maxBodyBytes\): not a size: "1TB"/],
    [{ TDM_MAX_BODY_BYTES: '0' }, /^TDM_MAX_BODY_BYTES \(maxBodyBytes\): 0 is below 1/],
    [{ TDM_BROWSER_PAGES: '65' }, /^TDM_BROWSER_PAGES \(browserPages\): 65 is above 64/],
    [{ TDM_MAX_HEADER_BYTES: '100' }, /^TDM_MAX_HEADER_BYTES \(maxHeaderBytes\): 100 is below 1024/],
    [{ TDM_KEEP_ALIVE: 'sometimes' }, /^TDM_KEEP_ALIVE \(keepAlive\): not a boolean: "sometimes"/],
    [{ TDM_CHECK_LOG: 'maybe' }, /^TDM_CHECK_LOG \(checkLog\): not a boolean: "maybe"/],
    [{ TDM_HOST_MAP: 'a.test' }, /^TDM_HOST_MAP: expected host=address, got "a.test"/],
    [
      { TDM_SCHEDULE_POLICY: '5m for 24h' },
      /^TDM_SCHEDULE_POLICY \(schedulePolicy\): schedule policy .* the last phase must be open-ended/,
    ],
    [
      { TDM_CONFIRM_DEFINITIVE: '3', TDM_CONFIRM_TRANSIENT: '2' },
      /^TDM_CONFIRM_TRANSIENT \(2\) must be at least TDM_CONFIRM_DEFINITIVE \(3\)/,
    ],
    [
      { TDM_JOB_ACK_WAIT: '30s' },
      /^TDM_JOB_ACK_WAIT \(30000ms\) must be longer than TDM_CHECK_TIMEOUT \(30000ms\)/,
    ],
  ])('%j', (env, message) => {
    expect(configError(() => loadConfig({ env })).message).toMatch(message);
  });

  it('accepts confirmTransient equal to confirmDefinitive', () => {
    expect(
      loadConfig({ env: { TDM_CONFIRM_DEFINITIVE: '3', TDM_CONFIRM_TRANSIENT: '3' } }).confirmTransient,
    ).toBe(3);
  });

  it('rejects an unknown key in the file', () => {
    const file = configFile({ checkIntervall: '5m' });
    expect(configError(() => loadConfig({ env: {}, file })).message).toMatch(
      /unknown setting "checkIntervall"/,
    );
  });

  it('rejects a file that is not JSON, not an object, or missing', () => {
    expect(configError(() => loadConfig({ env: {}, file: configFile('{ nope') })).message).toMatch(
      /cannot read config file/,
    );
    expect(configError(() => loadConfig({ env: {}, file: configFile('[1, 2]') })).message).toMatch(
      /expected a JSON object/,
    );
    expect(configError(() => loadConfig({ env: {}, file: configFile('null') })).message).toMatch(
      /expected a JSON object/,
    );
    expect(configError(() => loadConfig({ env: {}, file: path.join(dir, 'missing.json') })).message).toMatch(
      /cannot read config file .*missing\.json/,
    );
  });

  it('names the env var for a bad value from the file too', () => {
    const file = configFile({ checkInterval: '10ms' });
    expect(configError(() => loadConfig({ env: {}, file })).message).toMatch(
      /^TDM_CHECK_INTERVAL \(checkInterval\)/,
    );
  });
});

describe('parseDuration and parseBytes', () => {
  it.each([
    ['250', 250],
    ['1500ms', 1500],
    ['30s', 30_000],
    ['0.5s', 500],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    [' 2d ', 172_800_000],
    ['1w', 604_800_000],
    ['1m1ms', 60_001],
  ])('duration %j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '5 minutes', '-1s', '1h and 30m', 'm5', '5M'])('duration %j is rejected', (text) => {
    expect(() => parseDuration(text)).toThrow(ConfigError);
  });

  it.each([
    ['100', 100],
    ['100b', 100],
    ['512KiB', 524_288],
    ['64MiB', 67_108_864],
    ['1GiB', 1_073_741_824],
    ['1kb', 1000],
    ['2 MB', 2_000_000],
    ['1.5KiB', 1536],
  ])('size %j is %d bytes', (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  it.each(['', 'big', '1TB', '-1', '1 2'])('size %j is rejected', (text) => {
    expect(() => parseBytes(text)).toThrow(ConfigError);
  });
});

describe('docs/configuration.md', () => {
  it('is exactly configurationMarkdown() (regenerate it when SETTINGS change)', () => {
    const doc = readFileSync(
      fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url)),
      'utf8',
    );
    expect(doc).toBe(configurationMarkdown());
  });

  it('documents every setting and variable', () => {
    const doc = configurationMarkdown();
    for (const [name, spec] of Object.entries(SETTINGS)) {
      expect(doc).toContain(`| \`${name}\` | \`${spec.env}\` |`);
    }
  });
});

describe('access settings', () => {
  it('has auth on by default, no admin or metrics token, audit kept 400 days', () => {
    expect(loadConfig({ env: {} })).toMatchObject({
      auth: true,
      adminToken: '',
      adminTokenFile: '',
      metricsToken: '',
      token: '',
      auditRetentionMs: 400 * 86_400_000,
    });
  });

  it('accepts TDM_AUTH=off only on a loopback listen address', () => {
    for (const listen of ['127.0.0.1:8080', '127.0.0.2:0', '[::1]:8080', 'localhost:8080']) {
      expect(loadConfig({ env: { TDM_AUTH: 'off', TDM_LISTEN: listen } }).auth, listen).toBe(false);
    }
    for (const listen of ['0.0.0.0:8080', ':8080', '[::]:8080', '10.0.0.5:8080', 'example.org:80']) {
      expect(() => loadConfig({ env: { TDM_AUTH: 'off', TDM_LISTEN: listen } }), listen).toThrow(ConfigError);
    }
    expect(() => loadConfig({ env: { TDM_AUTH: 'off', TDM_LISTEN: '0.0.0.0:8080' } })).toThrow(
      /TDM_AUTH=off is refused/,
    );
    expect(loadConfig({ env: { TDM_LISTEN: '0.0.0.0:8080' } }).auth).toBe(true);
  });

  it('refuses an admin token shorter than 32 characters', () => {
    expect(() => loadConfig({ env: { TDM_ADMIN_TOKEN: 'short' } })).toThrow(/at least 32 characters/);
    expect(loadConfig({ env: { TDM_ADMIN_TOKEN: 'x'.repeat(32) } }).adminToken).toBe('x'.repeat(32));
  });
});
