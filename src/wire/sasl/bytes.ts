/**
 * Byte helpers for SASL payloads: strict UTF-8 and strict base64. Node's own decoders are
 * lenient (they replace bad UTF-8 and skip non-alphabet base64 characters), which would let
 * junk through as if it were a valid message.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8, or returns null when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

// RFC 4648 §4 alphabet with the padding SCRAM requires (RFC 5802 §7: base64 is as in RFC 4648).
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes canonical padded base64, or returns null for anything else. */
export function decodeBase64Strict(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const out = Buffer.from(text, 'base64');
  // Reject non-canonical trailing bits ("QQ==" is canonical, "QR==" is not).
  return out.toString('base64') === text ? out : null;
}
