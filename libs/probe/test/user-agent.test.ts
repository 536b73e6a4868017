/**
 * Cloaking: a hoster that recognises the monitor can answer 404 to it alone and fake a
 * removal. The default User-Agent is therefore an ordinary browser's, and what the operator
 * sets is what the server sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@tdm/core';
import { createHttpProber } from '@tdm/probe';
import { loopbackOptions } from './prober-options.js';
import { closedPort, startHttp, type TestServer } from './servers.js';

let web: TestServer;
const agents: (string | undefined)[] = [];

beforeAll(async () => {
  // A cloaking host: anything that looks like a monitor or a bot gets a 404.
  web = await startHttp((req, res) => {
    const agent = req.headers['user-agent'];
    agents.push(agent);
    const looksLikeMonitor = agent === undefined || /takedown|monitor|bot|crawl|spider|headless/i.test(agent);
    res.statusCode = looksLikeMonitor ? 404 : 200;
    res.end(looksLikeMonitor ? 'not found' : 'the image');
  });
});
afterAll(async () => {
  await web.close();
});

async function probeWith(userAgent: string): Promise<string> {
  const prober = createHttpProber(
    loopbackOptions([`127.0.0.1:${await closedPort()}`], { userAgent, keepAlive: false }),
  );
  try {
    return (await prober.probe(`http://site.test:${web.port}/a.jpg`, {})).outcome;
  } finally {
    await prober.close();
  }
}

describe('User-Agent', () => {
  it('the default is an ordinary browser User-Agent, so a cloaking host serves the monitor what it serves everyone', async () => {
    const { userAgent } = loadConfig({ env: {} });
    expect(userAgent).toMatch(
      /^Mozilla\/5\.0 \(.+\) AppleWebKit\/[\d.]+ \(KHTML, like Gecko\) Chrome\/[\d.]+ Safari\/[\d.]+$/,
    );
    expect(await probeWith(userAgent)).toBe('online');
    expect(agents.at(-1)).toBe(userAgent);
  });

  it('an operator-set User-Agent is sent as given (and a telling one is cloaked against)', async () => {
    const { userAgent } = loadConfig({ env: { TDM_USER_AGENT: 'ExampleHotline-Monitor/2.0' } });
    expect(await probeWith(userAgent)).toBe('offline');
    expect(agents.at(-1)).toBe('ExampleHotline-Monitor/2.0');
  });
});
