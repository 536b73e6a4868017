/**
 * Requests of the analysts' commands (`tdm stats`, `tdm report`) to a running results
 * service. The token, when there is one, comes from `--token-file` or `TDM_TOKEN` (the
 * client's own credential, not a service setting) and is sent as a Bearer header; it is
 * never printed.
 */
import { readFileSync } from 'node:fs';
import { TdmError, type Config } from '@tdm/core';

export interface ApiClientOptions {
  /** `--api URL`; default: the results service at TDM_LISTEN. */
  api?: string;
  /** `--token-file FILE`. */
  tokenFile?: string;
}

export function apiBaseUrl(config: Config, api: string | undefined): string {
  if (api) return api;
  const listen = config.listen.replace(/^0\.0\.0\.0:/, '127.0.0.1:');
  return `http://${listen}`;
}

function token(options: ApiClientOptions): string | undefined {
  if (options.tokenFile) {
    try {
      return readFileSync(options.tokenFile, 'utf8').trim();
    } catch (error) {
      throw new TdmError(
        'TDM_ERR_CLIENT',
        `cannot read --token-file ${options.tokenFile}: ${(error as Error).message}`,
      );
    }
  }
  const fromEnv = process.env['TDM_TOKEN'];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** GETs `path` (with its query) and returns the body text; a non-2xx answer is a TdmError with the API's message. */
export async function apiGet(baseUrl: string, path: string, options: ApiClientOptions): Promise<string> {
  const bearer = token(options);
  let response: Response;
  try {
    response = await fetch(new URL(path, baseUrl), {
      headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
    });
  } catch (error) {
    throw new TdmError(
      'TDM_ERR_CLIENT',
      `cannot reach the results service at ${baseUrl}: ${(error as Error).message}`,
    );
  }
  const body = await response.text();
  if (!response.ok) {
    let message = body;
    try {
      const parsed = JSON.parse(body) as { error?: { code?: string; message?: string } };
      if (parsed.error) message = `${parsed.error.code ?? ''}: ${parsed.error.message ?? ''}`;
    } catch {
      // not JSON: keep the text
    }
    throw new TdmError('TDM_ERR_CLIENT', `${path.split('?')[0]} answered ${response.status}: ${message}`);
  }
  return body;
}
