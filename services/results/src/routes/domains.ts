/**
 * GET /v1/domains: the registrable domains whose items cannot be checked on the grid at
 * their rate (or all of them with overCapacity=false), worst first, with the interval their
 * rate allows, so an operator can agree a rate with the host (TDM_DOMAIN_RATES) or
 * lengthen the interval. Domain names only: no URL.
 */
import type { FastifyInstance } from 'fastify';
import type { GridDemand } from '@tdm/core';
import type { Store } from '@tdm/store';
import { errorResponses } from '../schemas.js';

interface DomainsQuery {
  overCapacity: boolean;
  limit: number;
}

const domainSchema = {
  type: 'object',
  required: [
    'registrableDomain',
    'activeItems',
    'removedItems',
    'rate',
    'neededRate',
    'loadRatio',
    'achievableIntervalSeconds',
  ],
  properties: {
    registrableDomain: { type: 'string' },
    activeItems: { type: 'integer', description: 'Pending and online items, on the regular grid.' },
    removedItems: { type: 'integer', description: 'Confirmed-removed items, on the offline re-check grid.' },
    rate: { type: 'number', description: "The domain's rate (checks per second, cluster-wide)." },
    neededRate: { type: 'number', description: 'Checks per second the grid needs for these items.' },
    loadRatio: {
      type: 'number',
      description: 'neededRate / rate: above 1 every check of the domain is late.',
    },
    achievableIntervalSeconds: {
      type: ['number', 'null'],
      description:
        'The regular interval the rate allows for the active items; null when re-checks alone use it up.',
    },
  },
} as const;

export function registerDomainRoutes(app: FastifyInstance, store: Store, demand: GridDemand): void {
  app.get<{ Querystring: DomainsQuery }>(
    '/v1/domains',
    {
      // Registrable domains and rates, no URL: a statistic.
      config: { scope: 'stats:read' },
      schema: {
        summary: 'Domains whose items cannot be checked on the grid at their rate',
        operationId: 'listDomains',
        description:
          'Per registrable domain: items, rate (TDM_DOMAIN_RATE or its TDM_DOMAIN_RATES override), the checks per ' +
          'second the grid needs (active items / interval + removed items / offline re-check interval) and the ' +
          'interval the rate allows. Worst first. A full count of items per domain: not for every second.',
        tags: ['operations'],
        querystring: {
          type: 'object',
          properties: {
            overCapacity: { type: 'boolean', default: true, description: 'Only the domains over capacity.' },
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['intervalSeconds', 'offlineRecheckIntervalSeconds', 'defaultRate', 'domains'],
            properties: {
              intervalSeconds: { type: 'number', description: "The regular grid's (shortest) interval." },
              offlineRecheckIntervalSeconds: { type: 'number' },
              defaultRate: { type: 'number' },
              domains: { type: 'array', items: domainSchema },
            },
          },
          ...errorResponses(400, 500),
        },
      },
    },
    async (request) => {
      const domains = await store.domainCapacity({
        ...demand,
        overCapacityOnly: request.query.overCapacity,
        limit: request.query.limit,
      });
      return {
        intervalSeconds: demand.intervalMs / 1000,
        offlineRecheckIntervalSeconds: demand.offlineRecheckIntervalMs / 1000,
        defaultRate: demand.defaultRate,
        domains: domains.map(({ achievableIntervalMs, ...domain }) => ({
          ...domain,
          achievableIntervalSeconds: achievableIntervalMs === null ? null : achievableIntervalMs / 1000,
        })),
      };
    },
  );
}
