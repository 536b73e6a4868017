import { Writable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@tdm/telemetry';

/** A logger whose lines are kept in memory. */
function capture(level = 'trace'): { logger: ReturnType<typeof createLogger>; text: () => string } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: createLogger({ service: 'test', level, destination }), text: () => text };
}

const URL_A = 'https://victim.example/secret-path/a.jpg';
const URL_B = 'http://other.example:8080/b.png?id=7';

describe('createLogger: nothing sensitive reaches a line', () => {
  it('logs a PGlite error without the statement parameters (the URLs of a batch)', async () => {
    const db = await PGlite.create();
    let failure: unknown;
    try {
      // A statement that fails with URLs among its parameters, as a bad report batch would.
      await db.query('SELECT $1::text AS url, $2::int AS n', [URL_A, URL_B]);
    } catch (error) {
      failure = error;
    } finally {
      await db.close();
    }
    expect(failure).toBeInstanceOf(Error);
    // The raw error does carry them: that is what must not be logged.
    expect(JSON.stringify(failure)).toContain('victim.example');
    const { logger, text } = capture();
    logger.error({ err: failure }, 'request failed');
    const line = text();
    expect(line).toContain('request failed');
    expect(line).not.toContain('victim.example');
    expect(line).not.toContain('other.example');
    expect(line).not.toMatch(/"params"|"detail"|"where"|"query"/);
  });

  it('scrubs URLs and credentials from messages and fields at every level', () => {
    const { logger, text } = capture();
    logger.trace({ url: URL_A }, `checking ${URL_B}`);
    logger.debug({ servers: ['nats://tdm:p@ss:w0rd@127.0.0.1:4222'] }, 'bus connected');
    logger.info({ databaseUrl: 'postgres://u:hunter2@db/x' }, 'store');
    logger.warn({ conn: 'host=db password=hunter3 dbname=x' }, 'libpq');
    logger.error({ err: new Error(`fetch ${URL_A} failed`, { cause: new Error(`at ${URL_B}`) }) }, 'x');
    logger.fatal({ header: 'Bearer abcdef123456' }, 'y');
    const lines = text();
    for (const secret of [
      'victim.example',
      'other.example',
      'p@ss',
      'w0rd',
      'hunter2',
      'hunter3',
      'abcdef123456',
    ]) {
      expect(lines, secret).not.toContain(secret);
    }
    expect(lines.split('\n').filter(Boolean)).toHaveLength(6);
    expect(lines).toContain('nats://tdm:[redacted]@127.0.0.1:4222');
  });

  it('logs a request by its path, without the query string', () => {
    const { logger, text } = capture();
    logger.info(
      { req: { method: 'GET', url: '/v1/items?url=victim.example%2Fa', id: 'r1', ip: '::1' } },
      'in',
    );
    expect(text()).toContain('"path":"/v1/items"');
    expect(text()).not.toContain('victim');
  });
});
