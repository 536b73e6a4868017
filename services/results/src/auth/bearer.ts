/** Reads the token of an `Authorization: Bearer <token>` header (RFC 6750). */

/** Longest token accepted: ours are 47 characters, operator-chosen ones are free-form. */
const MAX_TOKEN_LENGTH = 1024;

/** The token, or null when the header is missing, not Bearer, empty or absurdly long. */
export function parseBearer(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  const token = match?.[1];
  if (token === undefined || token.length > MAX_TOKEN_LENGTH) return null;
  return token;
}
