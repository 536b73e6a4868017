/**
 * @tdm/survival — survival analysis of time to removal: the Kaplan–Meier curve with
 * Greenwood's log-log intervals, quantiles and their intervals. Pure code, no I/O: the
 * store computes the same figures in SQL, and tests hold the two together.
 */
export * from './kaplan-meier.js';
