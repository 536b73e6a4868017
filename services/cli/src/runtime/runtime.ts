import { loadConfig, type Config, type LoadConfigOptions } from '@tdm/core';
import { createLogger, createMetrics } from '@tdm/telemetry';
import { Lifecycle } from './lifecycle.js';
import { PRIVATE_UMASK } from './private-files.js';
import type { Runtime } from './services.js';

/**
 * Config, logger, metrics and lifecycle for one process. Sets umask 077 first: every file
 * a command creates (the embedded store, JetStream's files, an export) holds URLs.
 */
export function createRuntime(service: string, options: LoadConfigOptions = {}): Runtime {
  process.umask(PRIVATE_UMASK);
  const config: Config = loadConfig(options);
  const logger = createLogger({ service, level: config.logLevel });
  const metrics = createMetrics();
  return { config, logger, metrics, lifecycle: new Lifecycle(logger) };
}
