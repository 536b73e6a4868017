/**
 * The set-up the bus tests share: one nats-server per test file, a raw connection for
 * looking at streams directly, buses closed after each test, and the named streams
 * deleted before each test (connectBus recreates them with fresh consumers).
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, type NatsServerHandle } from '@tdm/test-helpers';
import { connectBus, type Bus, type BusOptions } from '@tdm/bus';

export interface BusTestNats {
  readonly server: NatsServerHandle;
  readonly raw: NatsConnection;
  /** A bus on the test server (or `url`), closed after the test. */
  newBus(overrides?: Partial<BusOptions>, url?: string): Promise<Bus>;
  /** Messages a stream holds now. */
  streamMessages(name: string): Promise<number>;
  /** Closes the buses opened so far (before stopping a server of a test's own). */
  closeBuses(): Promise<void>;
}

export function useBusTestNats(name: string, resetStreams: readonly string[]): BusTestNats {
  let server: NatsServerHandle | undefined;
  let raw: NatsConnection | undefined;
  const buses: Bus[] = [];
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the test nats-server is not running (use inside tests)');
    return value;
  };

  beforeAll(async () => {
    server = await startNatsServer();
    raw = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await raw?.close();
    await server?.stop();
  });
  beforeEach(async () => {
    const jsm = await jetstreamManager(ready(raw));
    for (const stream of resetStreams) await jsm.streams.delete(stream).catch(() => false);
  });
  const closeBuses = async (): Promise<void> => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
  };
  afterEach(closeBuses);

  return {
    get server() {
      return ready(server);
    },
    get raw() {
      return ready(raw);
    },
    async newBus(overrides = {}, url) {
      const bus = await connectBus({
        servers: [url ?? ready(server).url],
        name,
        jobAckWaitMs: 5000,
        jobMaxDeliver: 5,
        ...overrides,
      });
      buses.push(bus);
      return bus;
    },
    closeBuses,
    async streamMessages(stream) {
      const jsm = await jetstreamManager(ready(raw));
      return (await jsm.streams.info(stream)).state.messages;
    },
  };
}
