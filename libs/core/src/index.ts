export * from './types.js';
export * from './errors.js';
export * from './duration.js';
export * from './schedule.js';
export * from './config.js';
export * from './url.js';
export * from './state-machine.js';
export * from './timestamp.js';
