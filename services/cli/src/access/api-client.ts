/**
 * The CLI's client of the results API: the base URL (`--api`, else the local TDM_LISTEN)
 * and the bearer token (`--token-file`, else TDM_TOKEN, else the operator's
 * TDM_ADMIN_TOKEN[_FILE], else `<dataDir>/admin.token` when it exists, so that the
 * README's one-machine examples need no extra step).
 */
import { existsSync, readFileSync } from 'node:fs';
import { TdmError, type Config } from '@tdm/core';
import { UsageError } from '../command.js';
import { parseListen } from '../runtime/listen.js';
import { adminTokenPath, configuredAdminToken } from './admin-token.js';

/** The URL of the results service on this machine, from TDM_LISTEN. */
export function localApiUrl(config: Config): string {
  const { host, port } = parseListen(config.listen);
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** The token the CLI sends, or undefined when there is none to send. */
export function resolveApiToken(config: Config, tokenFile: string | boolean | undefined): string | undefined {
  if (typeof tokenFile === 'string') {
    try {
      return readFileSync(tokenFile, 'utf8').trim();
    } catch (error) {
      throw new UsageError(`--token-file: cannot read ${tokenFile}: ${(error as Error).message}`);
    }
  }
  if (config.token !== '') return config.token.trim();
  // The operator's own admin token, when this shell has it (TDM_ADMIN_TOKEN or _FILE).
  const configured = configuredAdminToken(config);
  if (configured !== undefined) return configured;
  const bootstrap = adminTokenPath(config);
  if (existsSync(bootstrap)) return readFileSync(bootstrap, 'utf8').trim();
  return undefined;
}

export interface ApiClient {
  baseUrl: string;
  /** Sends a request with the token; throws TdmError with the API's error code on a non-2xx answer. */
  request(method: string, path: string, body?: { type: string; text: string }): Promise<Response>;
}

export function apiClient(baseUrl: string, token: string | undefined): ApiClient {
  return {
    baseUrl,
    async request(method, path, body) {
      const headers: Record<string, string> = {};
      if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = body.type;
      const response = await fetch(new URL(path, baseUrl), {
        method,
        headers,
        ...(body !== undefined ? { body: body.text } : {}),
      });
      if (response.ok) return response;
      const text = await response.text();
      let code = 'TDM_ERR_API';
      let message = text;
      try {
        const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
        code = parsed.error?.code ?? code;
        message = parsed.error?.message ?? text;
      } catch {
        // not our error body: keep the text
      }
      const hint =
        response.status === 401 && token === undefined
          ? ' (no token: set TDM_TOKEN or --token-file; `tdm up` writes one to <dataDir>/admin.token)'
          : '';
      throw new TdmError(code, `${method} ${path} answered ${response.status} ${code}: ${message}${hint}`);
    },
  };
}

/** The client for a command's `--api` and `--token-file` options. */
export function apiClientFor(
  config: Config,
  values: Record<string, string | boolean | undefined>,
): ApiClient {
  const api = typeof values['api'] === 'string' ? values['api'] : localApiUrl(config);
  return apiClient(api, resolveApiToken(config, values['token-file']));
}
