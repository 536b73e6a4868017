/**
 * @tdm/fixture-web — a controllable web on loopback for tests, `tdm demo` and benchmarks:
 * virtual hosts, bodies of known hashes, and behaviour that changes on command.
 * Node built-ins only.
 */
export { startFixtureWeb } from './fixture-web.js';
export type { FixtureWeb, FixtureWebOptions, FixtureLogEntry } from './fixture-web.js';
export type { Behaviour, BehaviourKind } from './behaviour.js';
export { SLOW_HEAD_BYTES } from './behaviour.js';
export { makeBody, sha256Hex, sha1Hex, md5Hex, placeholderPng } from './bodies.js';
export { startSilentServer, type SilentServer } from './silent-server.js';
