/** `tdm config` and the CLI's error messages never print a credential. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
const run = promisify(execFile);

async function tdm(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], {
      env: { ...process.env, TDM_LOG_LEVEL: 'debug', ...env },
      timeout: 30_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, out: failure.stdout + failure.stderr };
  }
}

const SECRETS = ['p@ss:w0rd', 'w0rd', 't0kenXYZ', 's3@cr:et', 'cr:et', 'k3yPass'];

describe('credentials are never printed', () => {
  it('tdm config redacts NATS_URL and DATABASE_URL credentials, ?password= and sslpassword', async () => {
    const { code, out } = await tdm(['config'], {
      NATS_URL: 'nats://svc:p@ss:w0rd@127.0.0.1:4222,nats://t0kenXYZ@127.0.0.2:4222',
      DATABASE_URL: 'postgres://tdm:s3@cr:et@db.example:5432/tdm?sslpassword=k3yPass&sslmode=verify-full',
    });
    expect(code).toBe(0);
    const shown = JSON.parse(out) as { natsUrl: string[]; databaseUrl: string };
    for (const secret of SECRETS) expect(out, secret).not.toContain(secret);
    expect(shown.natsUrl).toEqual([
      'nats://svc:[redacted]@127.0.0.1:4222',
      'nats://[redacted]@127.0.0.2:4222',
    ]);
    expect(shown.databaseUrl).toBe(
      'postgres://tdm:[redacted]@db.example:5432/tdm?sslpassword=[redacted]&sslmode=verify-full',
    );
  });

  it('tdm config redacts a libpq key/value DATABASE_URL', async () => {
    const { out } = await tdm(['config'], {
      DATABASE_URL: "host=db user=tdm password='k3yPass two' dbname=x",
    });
    expect(out).not.toContain('k3yPass');
    expect(out).toContain('password=[redacted]');
  });

  it('a failing command does not print the password of the URL it failed on', async () => {
    const { code, out } = await tdm(['migrate'], {
      DATABASE_URL: 'postgres://tdm:s3@cr:et@127.0.0.1:1/tdm?password=k3yPass',
    });
    expect(code).toBe(1);
    for (const secret of SECRETS) expect(out, secret).not.toContain(secret);
  });
});
