/** The results API of a running tdm, over HTTP as a client sees it. */

/** GET `url` and parse its JSON body. */
export async function getJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

/** POSTs reports to `<api>/v1/reports` as a JSON array; throws unless it answers 200. */
export async function submitReports(api: string, reports: unknown[]): Promise<Array<{ itemId: number }>> {
  const response = await fetch(`${api}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(reports),
  });
  if (response.status !== 200)
    throw new Error(`POST /v1/reports: ${response.status} ${await response.text()}`);
  return (await response.json()) as Array<{ itemId: number }>;
}
