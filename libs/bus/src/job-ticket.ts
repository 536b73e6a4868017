/**
 * Job tickets: proof that a check result answers a job the scheduler issued.
 *
 * The scheduler signs each job it publishes with an HMAC-SHA256 over the job's identity
 * (`itemId@scheduledAt`) under a key that only the scheduler and the results service
 * hold (it lives in the store; crawlers have no database access). A crawler copies the
 * ticket from the job into its result; the results service drops every result whose
 * ticket does not match its item and scheduled time. So a client that can publish on
 * `tdm.results` but never received the job cannot invent a check, nor move one to
 * another item or another time (a result dated in the future would otherwise make the
 * state machine ignore every real result before that date). See docs/design.md.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { jobIdFor, TdmError, type CheckJob, type CheckResult } from '@tdm/core';

/** Bytes of a signing key (HMAC-SHA256 wants at least its output size). */
export const JOB_TICKET_KEY_BYTES = 32;

/** Domain separation: a ticket can never be mistaken for another HMAC made with the same key. */
const CONTEXT = 'tdm-job-ticket-v1\n';

export interface JobTickets {
  /** The ticket of a job (base64url, 43 characters). */
  sign(job: Pick<CheckJob, 'itemId' | 'scheduledAt'>): string;
  /** The job with its ticket set. */
  issue<J extends Pick<CheckJob, 'itemId' | 'scheduledAt'>>(job: J): J & { ticket: string };
  /**
   * True when the result carries the ticket of the job it names: its jobId is
   * `itemId@scheduledAt` of its own fields, and the ticket is the HMAC of that.
   */
  verify(result: Pick<CheckResult, 'jobId' | 'itemId' | 'scheduledAt' | 'ticket'>): boolean;
}

function identity(itemId: number, scheduledAt: string): string | null {
  const at = new Date(scheduledAt);
  if (!Number.isSafeInteger(itemId) || Number.isNaN(at.getTime())) return null;
  return jobIdFor(itemId, at);
}

/** Tickets under `key` (at least 32 bytes). */
export function createJobTickets(key: Uint8Array): JobTickets {
  if (key.byteLength < JOB_TICKET_KEY_BYTES) {
    throw new TdmError('TDM_ERR_JOB_TICKET_KEY', `job ticket key too short (${key.byteLength} bytes)`);
  }
  const secret = Buffer.from(key);
  const mac = (id: string): Buffer =>
    createHmac('sha256', secret)
      .update(CONTEXT + id)
      .digest();
  const sign = (job: Pick<CheckJob, 'itemId' | 'scheduledAt'>): string => {
    const id = identity(job.itemId, job.scheduledAt);
    if (id === null) throw new TdmError('TDM_ERR_JOB_TICKET', 'cannot sign a job without item id and time');
    return mac(id).toString('base64url');
  };
  return {
    sign,
    issue: (job) => ({ ...job, ticket: sign(job) }),
    verify(result) {
      const id = identity(result.itemId, result.scheduledAt);
      if (id === null || result.jobId !== id || typeof result.ticket !== 'string') return false;
      const given = Buffer.from(result.ticket, 'base64url');
      const expected = mac(id);
      return given.byteLength === expected.byteLength && timingSafeEqual(given, expected);
    },
  };
}
