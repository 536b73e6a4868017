/**
 * What each service may do on NATS: the publish and subscribe subjects it needs and no
 * more. One definition, rendered into the embedded nats-server's configuration and
 * checked against the Kubernetes one (k8s/nats) by a test, so the two cannot drift.
 *
 * - The scheduler publishes jobs, reads stream and consumer state (backpressure, the
 *   consumerPending metric) and creates/updates the streams and consumers.
 * - A crawler pulls from its mode's consumer, acks, and publishes results. It cannot
 *   publish jobs, read results, or change a stream (it does not ensure streams; it waits
 *   for the consumer the scheduler or results service creates).
 * - The results service pulls results, acks, and creates/updates streams and consumers.
 * Each subscribes only to its own reply prefix (`_INBOX_<service>.>`, set as the
 * connection's inboxPrefix), so it cannot read the replies of another.
 */
import {
  CHECKS_STREAM,
  MODES,
  RESULTS_CONSUMER,
  RESULTS_STREAM,
  RESULTS_SUBJECT,
  jobConsumerName,
  jobSubject,
} from './subjects.js';

export type ServiceRole = 'scheduler' | 'crawler' | 'results';
export const SERVICE_ROLES: readonly ServiceRole[] = ['scheduler', 'crawler', 'results'];

export interface ServicePermissions {
  publish: string[];
  subscribe: string[];
}

/** The reply-subject prefix of a service's connection. */
export function inboxPrefix(role: ServiceRole): string {
  return `_INBOX_${role}`;
}

const STREAMS = [CHECKS_STREAM, RESULTS_STREAM];

/** Creating and updating both streams and their durable consumers (ensureStreams). */
function manageStreams(): string[] {
  return STREAMS.flatMap((stream) => [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.CREATE.${stream}`,
    `$JS.API.STREAM.UPDATE.${stream}`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    // Servers ≥ 2.9 take CREATE.<stream>.<consumer>[.<filter>]; older ones DURABLE.CREATE.
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.*`,
  ]);
}

export function servicePermissions(role: ServiceRole): ServicePermissions {
  const common = ['$JS.API.INFO'];
  const subscribe = [`${inboxPrefix(role)}.>`];
  switch (role) {
    case 'scheduler':
      return { publish: [...common, ...MODES.map(jobSubject), ...manageStreams()], subscribe };
    case 'results':
      return {
        publish: [
          ...common,
          ...manageStreams(),
          `$JS.API.CONSUMER.MSG.NEXT.${RESULTS_STREAM}.${RESULTS_CONSUMER}`,
          `$JS.ACK.${RESULTS_STREAM}.${RESULTS_CONSUMER}.>`,
        ],
        subscribe,
      };
    case 'crawler':
      return {
        publish: [
          ...common,
          RESULTS_SUBJECT,
          ...MODES.flatMap((mode) => [
            `$JS.API.CONSUMER.INFO.${CHECKS_STREAM}.${jobConsumerName(mode)}`,
            `$JS.API.CONSUMER.MSG.NEXT.${CHECKS_STREAM}.${jobConsumerName(mode)}`,
            `$JS.ACK.${CHECKS_STREAM}.${jobConsumerName(mode)}.>`,
          ]),
        ],
        subscribe,
      };
  }
}

/** A password, user or path as a nats-server configuration string (double-quoted, escaped). */
function quoted(text: string): string {
  return JSON.stringify(text);
}

/** A service's user in a nats-server configuration. */
export interface ServiceUser {
  role: ServiceRole;
  user: string;
  /**
   * The password (or a bcrypt hash of it) written into the file, which must then be
   * private to the server (0600); or `{ env }`, an environment variable the server reads
   * at start (`$NAME`: on Kubernetes, from a Secret).
   */
  password: string | { env: string };
}

/** The `authorization { users = [...] }` block of a nats-server configuration, one user per service. */
export function authorizationBlock(users: readonly ServiceUser[]): string {
  const lines = ['authorization {', '  users = ['];
  for (const { role, user, password } of users) {
    const { publish, subscribe } = servicePermissions(role);
    lines.push(
      '    {',
      `      user: ${quoted(user)}`,
      `      password: ${typeof password === 'string' ? quoted(password) : `$${password.env}`}`,
      '      permissions: {',
      `        publish: { allow: [${publish.map(quoted).join(', ')}] }`,
      `        subscribe: { allow: [${subscribe.map(quoted).join(', ')}] }`,
      '      }',
      '    }',
    );
  }
  lines.push('  ]', '}');
  return lines.join('\n');
}
