import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets, redactText, redactUrls } from '@tdm/core';

describe('redactSecrets', () => {
  it.each([
    [
      'a plain user:password',
      'postgres://tdm:hunter2@db:5432/tdm',
      'postgres://tdm:[redacted]@db:5432/tdm',
      'hunter2',
    ],
    ['a password holding @', 'postgres://tdm:p@ss@db/tdm', 'postgres://tdm:[redacted]@db/tdm', 'p@ss'],
    ['a password holding :', 'nats://svc:a:b:c@nats:4222', 'nats://svc:[redacted]@nats:4222', 'a:b:c'],
    ['a password holding @ and :', 'nats://u:x@y:z@h:1', 'nats://u:[redacted]@h:1', 'x@y:z'],
    ['a token as user info', 'nats://s3cr3tt0ken@nats:4222', 'nats://[redacted]@nats:4222', 's3cr3tt0ken'],
    [
      'a ?password= parameter',
      'postgres://db/tdm?user=x&password=hunter2&sslmode=require',
      'postgres://db/tdm?user=x&password=[redacted]&sslmode=require',
      'hunter2',
    ],
    [
      'an sslpassword parameter',
      'postgres://db/tdm?sslpassword=k3y',
      'postgres://db/tdm?sslpassword=[redacted]',
      'k3y',
    ],
    [
      'a libpq key/value string',
      'host=db user=tdm password=hunter2 dbname=tdm',
      'host=db user=tdm password=[redacted] dbname=tdm',
      'hunter2',
    ],
    [
      'a quoted libpq value',
      "host=db password = 'two words' dbname=tdm",
      'host=db password = [redacted] dbname=tdm',
      'two words',
    ],
    [
      'a bearer token',
      'authorization: Bearer abc.DEF-123',
      'authorization: Bearer [redacted]',
      'abc.DEF-123',
    ],
    [
      'an API token',
      'token tdm_0123456789abcdefABCDEF_x9 leaked',
      'token tdm_[redacted] leaked',
      '0123456789abcdef',
    ],
  ])('removes %s', (_name, input, expected, secret) => {
    const output = redactSecrets(input);
    expect(output).toBe(expected);
    expect(output).not.toContain(secret);
  });

  it('cuts every credential from a list of URLs (and may hide hosts between them)', () => {
    const output = redactSecrets('nats://a:one@h1:4222,nats://b:two@h2:4222');
    expect(output).not.toMatch(/one|two/);
    expect(output).toContain(REDACTED);
  });

  it('leaves text without secrets as it is', () => {
    const text = 'postgres://db:5432/tdm?sslmode=verify-full host=db port=5432';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('redactUrls', () => {
  it('removes http(s) URLs, also percent-encoded ones, and keeps the rest', () => {
    const line =
      '{"msg":"failed GET https://victim.example/a.jpg?x=1 and http://[::1]:80/b","q":"u=https%3A%2F%2Fa.example%2Fb&y=2"}';
    const output = redactUrls(line);
    expect(output).not.toMatch(/victim|a\.jpg|::1|a\.example/);
    expect(output).toBe('{"msg":"failed GET [url] and [url]","q":"u=[url]&y=2"}');
  });

  it('redactText does both', () => {
    expect(redactText('nats://u:pw@h:1 saw https://x.example/')).toBe('nats://u:[redacted]@h:1 saw [url]');
  });
});
