/**
 * What a client is told when its request is refused before any route code runs: the media
 * type it sent and the ones accepted (415), the body limit it exceeded (413).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openHarness, type Harness } from './support.js';

describe('request refusals name what is accepted', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(BACKENDS[0]!, { bodyLimit: 1024 });
  });
  afterAll(async () => {
    await h.close();
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])(
    'answers a %s POST with 415 TDM_ERR_MEDIA_TYPE naming the type sent and the accepted ones',
    async (type) => {
      const response = await h.app.inject({
        method: 'POST',
        url: '/v1/reports',
        payload: '[{"url": "https://example.org/"}]',
        headers: { 'content-type': type },
      });
      expect(response.statusCode).toBe(415);
      const { code, message } = response.json<{ error: { code: string; message: string } }>().error;
      expect(code).toBe('TDM_ERR_MEDIA_TYPE');
      expect(message).toContain(type);
      for (const accepted of ['application/json', 'application/x-ndjson', 'application/ndjson'])
        expect(message).toContain(accepted);
    },
  );

  it.each([
    ['application/json', JSON.stringify([{ url: 'https://example.org/' + 'y'.repeat(2000) }])],
    ['application/x-ndjson', JSON.stringify({ url: 'https://example.org/' + 'y'.repeat(2000) })],
  ])('answers a %s body over the limit with 413 naming the limit', async (type, payload) => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/reports',
      payload,
      headers: { 'content-type': type },
    });
    expect(response.statusCode).toBe(413);
    const { code, message } = response.json<{ error: { code: string; message: string } }>().error;
    expect(code).toBe('TDM_ERR_BODY_TOO_LARGE');
    expect(message).toMatch(/\b1024 bytes\b/);
  });
});
