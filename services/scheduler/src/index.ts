/** @tdm/scheduler — claims due items and publishes their check jobs. */
export {
  createScheduler,
  MAX_PACING_HORIZON_MS,
  pacingHorizonMs,
  type Scheduler,
  type SchedulerConfig,
  type SchedulerOptions,
} from './scheduler.js';
