/**
 * Header values as a browser reads them. Node's HTTP parser hands every header value over as
 * latin1 (one char per byte), so raw UTF-8 in a `Location` (`/fïnal-path`, `bücher.test`)
 * arrives as mojibake (`/fÃ¯nal-path`); a redirect followed that way asks for another file
 * and may be recorded as a removal. Browsers decode such bytes as UTF-8 when they are valid
 * UTF-8, and keep latin1 otherwise: so do we.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The value's original bytes decoded as UTF-8 when they are valid UTF-8, else unchanged. */
export function decodeHeaderBytes(latin1Value: string): string {
  // Pure ASCII (the usual case) reads the same either way; chars > 0xFF mean it was never latin1 bytes.
  if (!/[\u0080-\u00ff]/.test(latin1Value) || /[\u0100-\uffff]/.test(latin1Value)) return latin1Value;
  try {
    return utf8.decode(Buffer.from(latin1Value, 'latin1'));
  } catch {
    return latin1Value;
  }
}
