/** @tdm/politeness: per-registrable-domain rate and concurrency, and a global concurrency limit. */
export {
  createPoliteness,
  PolitenessStoppedError,
  type Politeness,
  type PolitenessOptions,
} from './politeness.js';
