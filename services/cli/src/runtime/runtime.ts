import { loadConfig, type Config, type LoadConfigOptions } from '@tdm/core';
import { createLogger, createMetrics } from '@tdm/telemetry';
import { Lifecycle } from './lifecycle.js';
import type { Runtime } from './services.js';

/** Config, logger, metrics and lifecycle for one process. */
export function createRuntime(service: string, options: LoadConfigOptions = {}): Runtime {
  const config: Config = loadConfig(options);
  const logger = createLogger({ service, level: config.logLevel });
  const metrics = createMetrics();
  return { config, logger, metrics, lifecycle: new Lifecycle(logger) };
}
