/**
 * @tdm/bus — NATS JetStream for Takedown Monitor: subjects and streams, the job and
 * result codecs, and the publish/consume operations of the scheduler, crawlers and
 * results service.
 */
export * from './subjects.js';
export * from './errors.js';
export type { BusLogger } from './logger.js';
export {
  encodeJob,
  decodeJob,
  encodeResult,
  decodeResult,
  encodeResultBatch,
  decodeResultBatch,
  MAX_MESSAGE_BYTES,
  type DecodedResultBatch,
} from './codec.js';
export {
  resolveStreamOptions,
  jobConsumerConfig,
  resultsConsumerConfig,
  type StreamOptions,
  type ResolvedStreamOptions,
} from './streams.js';
export type { JobConsumer, JobControl, JobHandler, JobVerdict, ConsumeJobsOptions } from './job-consumer.js';
export type { ResultConsumer, ResultBatchHandler, ConsumeResultsOptions } from './result-consumer.js';
export { connectBus, type Bus, type BusOptions, type ConsumerPending } from './bus.js';
export { createJobTickets, JOB_TICKET_KEY_BYTES, type JobTickets } from './job-ticket.js';
export {
  natsConnectOptions,
  type NatsCredentials,
  type NatsSecurity,
  type NatsTls,
} from './nats-security.js';
export {
  SERVICE_ROLES,
  authorizationBlock,
  inboxPrefix,
  servicePermissions,
  type ServicePermissions,
  type ServiceUser,
  type ServiceRole,
} from './permissions.js';
