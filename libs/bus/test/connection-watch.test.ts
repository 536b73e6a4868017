import { describe, expect, it } from 'vitest';
import { BusDisconnectedError } from '@tdm/bus';
import { ConnectionWatch } from '../src/connection-watch.js';

describe('ConnectionWatch', () => {
  it('fails a request in flight as soon as the connection drops, not at its timeout', async () => {
    const watch = new ConnectionWatch();
    let settled = false;
    const never = new Promise<string>(() => undefined);
    const request = watch.whileConnected(() => never).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    watch.disconnected();
    await expect(request).rejects.toBeInstanceOf(BusDisconnectedError);
  });

  it('refuses a request while disconnected without making it, and lets it through once back', async () => {
    const watch = new ConnectionWatch();
    watch.disconnected();
    let made = 0;
    const request = (): Promise<number> => Promise.resolve(++made);
    await expect(watch.whileConnected(request)).rejects.toBeInstanceOf(BusDisconnectedError);
    expect(made).toBe(0);
    watch.reconnected();
    await expect(watch.whileConnected(request)).resolves.toBe(1);
  });

  it("passes a request's own answer or failure through", async () => {
    const watch = new ConnectionWatch();
    await expect(watch.whileConnected(() => Promise.resolve('ack'))).resolves.toBe('ack');
    await expect(watch.whileConnected(() => Promise.reject(new Error('timeout')))).rejects.toThrow('timeout');
  });

  it('calls reconnect listeners on every reconnect until unsubscribed', () => {
    const watch = new ConnectionWatch();
    let calls = 0;
    const unsubscribe = watch.onReconnect(() => calls++);
    watch.disconnected();
    watch.reconnected();
    watch.disconnected();
    watch.reconnected();
    unsubscribe();
    watch.disconnected();
    watch.reconnected();
    expect(calls).toBe(2);
  });
});
