/** The results API of a running tdm, over HTTP as a client sees it (with the test admin token). */
import { TEST_ADMIN_TOKEN } from './tdm-process.js';

/** fetch() with `Authorization: Bearer <the test admin token>`, for the /v1 routes. */
export async function apiFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${TEST_ADMIN_TOKEN}`);
  return await fetch(url, { ...init, headers });
}

/** GET `url` and parse its JSON body. */
export async function getJson<T>(url: string): Promise<T> {
  return (await (await apiFetch(url)).json()) as T;
}

/** POSTs reports to `<api>/v1/reports` as a JSON array; throws unless it answers 200. */
export async function submitReports(api: string, reports: unknown[]): Promise<Array<{ itemId: number }>> {
  const response = await apiFetch(`${api}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(reports),
  });
  if (response.status !== 200)
    throw new Error(`POST /v1/reports: ${response.status} ${await response.text()}`);
  return (await response.json()) as Array<{ itemId: number }>;
}
