import { describe, expect, it } from 'vitest';
import { createJobTickets } from '@tdm/bus';
import { jobIdFor } from '@tdm/core';

const tickets = createJobTickets(new Uint8Array(32).fill(1));
const scheduledAt = '2024-06-01T10:00:00.000Z';
const job = { itemId: 42, scheduledAt };
const result = {
  jobId: jobIdFor(42, new Date(scheduledAt)),
  itemId: 42,
  scheduledAt,
  ticket: tickets.sign(job),
};

describe('job tickets', () => {
  it('verifies the ticket of an issued job, also when the time is written another way', () => {
    expect(tickets.verify(result)).toBe(true);
    expect(tickets.issue(job).ticket).toBe(result.ticket);
    expect(result.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tickets.verify({ ...result, scheduledAt: '2024-06-01T12:00:00+02:00' })).toBe(true);
  });

  it('refuses a result without a ticket, with another key, or moved to another item or time', () => {
    const { ticket: _ticket, ...unsigned } = result;
    expect(tickets.verify(unsigned)).toBe(false);
    expect(createJobTickets(new Uint8Array(32).fill(2)).verify(result)).toBe(false);
    // The same ticket on another item or slot: the identity it signs no longer matches.
    const later = '2024-06-01T10:15:00.000Z';
    expect(tickets.verify({ ...result, itemId: 43, jobId: jobIdFor(43, new Date(scheduledAt)) })).toBe(false);
    expect(tickets.verify({ ...result, scheduledAt: later, jobId: jobIdFor(42, new Date(later)) })).toBe(
      false,
    );
    // A jobId that does not name the result's own item and time.
    expect(tickets.verify({ ...result, jobId: '42@2099-01-01T00:00:00.000Z' })).toBe(false);
    expect(tickets.verify({ ...result, ticket: result.ticket.slice(0, 20) })).toBe(false);
    expect(tickets.verify({ ...result, ticket: '' })).toBe(false);
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => createJobTickets(new Uint8Array(16))).toThrow(/too short/);
  });
});
