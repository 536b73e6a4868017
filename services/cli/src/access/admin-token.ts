/**
 * The admin token at start-up: the operator's (TDM_ADMIN_TOKEN or TDM_ADMIN_TOKEN_FILE),
 * or, with neither and an empty token table, a generated one written once to
 * `<dataDir>/admin.token` (mode 0600) whose path — never the token — is logged, as
 * Jupyter and Grafana do for their first login.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, MIN_ADMIN_TOKEN_LENGTH, type Config } from '@tdm/core';
import { generateToken, generateTokenId, hashToken } from '@tdm/results';
import type { Store } from '@tdm/store';
import type { Logger } from '@tdm/telemetry';
import { writePrivateFile } from '../runtime/private-file.js';

/** Where the first start writes the generated admin token. */
export function adminTokenPath(config: Config): string {
  return path.join(config.dataDir, 'admin.token');
}

/** The operator-chosen admin token, or undefined when none is configured. */
export function configuredAdminToken(config: Config): string | undefined {
  if (config.adminToken !== '') return config.adminToken.trim();
  if (config.adminTokenFile === '') return undefined;
  let token: string;
  try {
    token = readFileSync(config.adminTokenFile, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(
      `TDM_ADMIN_TOKEN_FILE: cannot read ${config.adminTokenFile}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `TDM_ADMIN_TOKEN_FILE: the token in ${config.adminTokenFile} must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`,
    );
  }
  return token;
}

/** A new admin token stored in `store`; the secret is returned, never logged. */
export async function createAdminToken(
  store: Store,
  name: string,
  onlyIfFirst: boolean,
): Promise<{ id: string; token: string } | null> {
  const token = generateToken();
  const record = {
    id: generateTokenId(),
    name,
    hash: hashToken(token),
    scopes: ['admin'],
    expiresAt: null,
    createdAt: new Date(),
  };
  if (onlyIfFirst) {
    if (!(await store.createFirstToken(record))) return null;
  } else {
    await store.createToken(record);
  }
  return { id: record.id, token };
}

/**
 * Makes sure someone can administer the service: nothing to do with auth off or an
 * operator-chosen token; otherwise, when the store holds no token at all, creates one
 * and writes it to `<dataDir>/admin.token`. Returns that file when it was written.
 */
export async function bootstrapAdminToken(
  config: Config,
  store: Store,
  logger: Logger,
): Promise<string | null> {
  if (!config.auth) {
    logger.warn({ listen: config.listen }, 'TDM_AUTH=off: the API answers without tokens (loopback only)');
    return null;
  }
  if (configuredAdminToken(config) !== undefined) return null;
  if ((await store.countTokens()) > 0) return null;
  const created = await createAdminToken(store, 'bootstrap admin', true);
  if (created === null) return null; // another service made the first token meanwhile
  const file = adminTokenPath(config);
  writePrivateFile(file, created.token + '\n');
  logger.info(
    { file, tokenId: created.id },
    'created the first admin token and wrote it to this file (mode 0600); use it as Authorization: Bearer, make more with `tdm token create`',
  );
  return file;
}
