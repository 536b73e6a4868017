export * from './ports.js';
export * from './nats-server.js';
export * from './postgres.js';
export * from './dnsmasq.js';
