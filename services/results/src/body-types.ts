/**
 * The request body media types the API parses. Any other Content-Type (text/plain
 * included: Fastify would parse it as a string by default) is refused with 415, and that
 * answer names these.
 */
export const JSON_TYPE = 'application/json';
/** NDJSON under both names in use (the second is the ndjson spec's own). */
export const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson'];
export const ACCEPTED_BODY_TYPES = [JSON_TYPE, ...NDJSON_TYPES];
