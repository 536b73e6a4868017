/**
 * Secrets and reported URLs out of text, in one place: the logger scrubs every line with
 * these, `tdm config` shows settings through them and the CLI prints error messages
 * through them. Each rule errs on the side of cutting too much: a log line that shows
 * `[redacted]` where a harmless value was is a nuisance, a password in a log is a breach.
 */

/** What a redacted secret is replaced with. */
export const REDACTED = '[redacted]';
/** What a redacted URL is replaced with (logs carry item ids and domains instead). */
export const REDACTED_URL = '[url]';

/**
 * `scheme://userinfo@`: the user info runs to the LAST `@` before the path, query,
 * fragment or a blank, so a password holding `@` or `:` is cut whole (a greedy class
 * backtracks to the last `@`). Over several comma-joined URLs it may take the hosts
 * between them too: more is hidden, nothing leaks.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>]*)@/gi;

/** Names whose `name=value` (query parameter, libpq key/value string) is a secret. */
const SECRET_KEYS = [
  'password',
  'passwd',
  'pwd',
  'pass',
  'sslpassword',
  'token',
  'auth_token',
  'access_token',
  'api_key',
  'apikey',
  'secret',
  'client_secret',
  'nkey',
  'seed',
];
/** `name=value` or `name = 'quoted value'` (libpq), ended by `&`, `#`, a blank, `,` or a quote. */
const KEY_VALUE = new RegExp(
  `\\b(${SECRET_KEYS.join('|')})(\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'|[^\\s&#,"'\\\\]+)`,
  'gi',
);
/** `Bearer <token>` as in an Authorization header. */
const BEARER = /\b(bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
/** API tokens carry the `tdm_` prefix so that they can be found wherever they leak. */
const TDM_TOKEN = /\btdm_[A-Za-z0-9_-]{16,}/g;

/** Removes credentials from free text: URL user info, secret key=value pairs, bearer and tdm_ tokens. */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return colon === -1 ? `${scheme}${REDACTED}@` : `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`;
    })
    .replace(KEY_VALUE, (_match, key: string, eq: string) => `${key}${eq}${REDACTED}`)
    .replace(BEARER, (_match, word: string) => `${word} ${REDACTED}`)
    .replace(TDM_TOKEN, `tdm_${REDACTED}`);
}

/** An http(s) URL as written, or percent-encoded once (`https%3A%2F%2F…` in a query string). */
const HTTP_URL = /\bhttps?:\/\/[^\s"'<>\\`]+/gi;
const ENCODED_HTTP_URL = /\bhttps?%3A%2F%2F[^\s"'<>\\`&]*/gi;

/**
 * Removes http(s) URLs from text. Reported URLs are http(s) only, and the rule is that
 * none reaches a log line: whatever a message or an error quotes, the line shows `[url]`.
 */
export function redactUrls(text: string): string {
  return text.replace(HTTP_URL, REDACTED_URL).replace(ENCODED_HTTP_URL, REDACTED_URL);
}

/** Both: what every log line and every printed error message goes through. */
export function redactText(text: string): string {
  return redactUrls(redactSecrets(text));
}

/** Setting names that hold a secret as a whole (a password, token, seed or key file's content). */
const SECRET_SETTING = /(password|passwd|token|secret|seed|credentials?)$/i;

/**
 * A configuration fit to print (`tdm config`): settings named like a secret are replaced
 * whole when set; every other string (or list of strings) has its credentials removed.
 */
export function redactSettings<T extends object>(config: T): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config)) {
    if (SECRET_SETTING.test(name) && typeof value === 'string' && value !== '') shown[name] = REDACTED;
    else if (typeof value === 'string') shown[name] = redactSecrets(value);
    else if (Array.isArray(value))
      shown[name] = value.map((entry: unknown) => (typeof entry === 'string' ? redactSecrets(entry) : entry));
    else shown[name] = value;
  }
  return shown;
}
