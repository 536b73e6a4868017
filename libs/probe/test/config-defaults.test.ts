import { loadConfig } from '@tdm/core';
import { DEFAULT_BROWSER_PAGES, DEFAULT_MAX_HEADER_BYTES } from '@tdm/probe';
import { describe, expect, it } from 'vitest';

// The services hand Config to the probers; a library caller without Config gets the
// probers' own defaults. Both must say the same, or behaviour would depend on the caller.
describe('prober defaults and configuration defaults', () => {
  const config = loadConfig({ env: {} });

  it('agree on the header limit, keep-alive and browser pages', () => {
    expect(config.maxHeaderBytes).toBe(DEFAULT_MAX_HEADER_BYTES);
    expect(config.browserPages).toBe(DEFAULT_BROWSER_PAGES);
    expect(config.keepAlive).toBe(true);
  });
});
