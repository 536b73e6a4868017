/**
 * Every route refuses query parameters it does not declare, naming the first unknown one
 * and the ones it takes: a misspelt `sinse=` ignored in silence would answer every removal
 * instead of a window. One hook for all routes, so a route added later cannot forget it,
 * and independent of the validator (POST /v1/reports validates its body itself). It runs
 * before validation, so it reads the query as sent: `additionalProperties: false` in a
 * querystring schema would not do, because Fastify's ajv (removeAdditional: true) strips
 * undeclared properties instead of refusing them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/** The query parameter names a route's schema declares. */
function declaredParameters(request: FastifyRequest): string[] {
  const querystring = request.routeOptions.schema?.querystring as { properties?: object } | undefined;
  return Object.keys(querystring?.properties ?? {}).sort();
}

export function refuseUnknownQueryParameters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    // No route, no parameters to check: the answer stays 404.
    if (request.is404) return;
    const given = Object.keys((request.query ?? {}) as object);
    if (given.length === 0) return;
    const declared = declaredParameters(request);
    const unknown = given.find((name) => !declared.includes(name));
    if (unknown === undefined) return;
    const route = `${request.method} ${request.routeOptions.url ?? ''}`;
    // The name is the client's own text: quoted and cut, so the answer stays one short line.
    const name = JSON.stringify(unknown.slice(0, 100));
    throw new ApiError(
      'TDM_ERR_BAD_REQUEST',
      declared.length === 0
        ? `unknown query parameter ${name}: ${route} takes no query parameters`
        : `unknown query parameter ${name}: ${route} takes ${declared.join(', ')}`,
    );
  });
}
