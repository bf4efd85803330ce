// Plain-data shapes of a parsed MIME message. Everything here is JSON-serialisable so the
// store can cache a parsed tree next to the message (parse once at delivery, FETCH reads the
// cache); bodies are never copied — a part only holds byte offsets into the raw message.

/** One header field, in message order. */
export interface HeaderField {
  /** Field name as written (case kept), without the colon and surrounding blanks. */
  name: string;
  /** Lower-case name, for lookups. */
  key: string;
  /**
   * The value exactly as in the message: everything after the colon up to (not including) the
   * line break that ends the field, folding line breaks kept. One char per byte (latin1), so
   * `Buffer.from(raw, 'latin1')` gives back the original bytes, 8-bit ones included.
   */
  raw: string;
  /**
   * Unfolded value (RFC 5322 §2.2.3: CRLF removed, the blank that follows kept), trimmed.
   * 8-bit bytes are read as UTF-8 when they are valid UTF-8 (RFC 6532), else as windows-1252.
   * RFC 2047 encoded words are NOT decoded here (IMAP's ENVELOPE wants them as sent).
   */
  value: string;
  /** Byte offset of the field's first byte (its name). */
  start: number;
  /** Byte offset just past the field's final line break (exclusive). */
  end: number;
}

/** A parameter list (Content-Type, Content-Disposition). */
export interface ParameterizedValue {
  /** Lower-case parameter names → values with RFC 2231 continuations joined and charsets
   *  decoded, and RFC 2047 encoded words decoded (the latter is not standard but common). */
  params: Record<string, string>;
  /**
   * The parameters as IMAP's BODYSTRUCTURE lists them: in order, names lower-case, quotes
   * removed, RFC 2231 continuations joined. A parameter that used RFC 2231 extended notation
   * keeps it (`name*` = `charset'lang'percent-encoded`) so the value stays 7-bit, as Dovecot does.
   */
  rawParams: Array<[string, string]>;
}

export interface ContentType extends ParameterizedValue {
  /** Lower-case top-level type, e.g. `text`. */
  type: string;
  /** Lower-case subtype, e.g. `plain`. */
  subtype: string;
  /** `type/subtype`. */
  mimeType: string;
  /**
   * True when the part has no Content-Type field and the RFC 2045 §5.2 default applies
   * (`text/plain; charset=us-ascii`, or `message/rfc822` inside multipart/digest per
   * RFC 2046 §5.1.5). BODYSTRUCTURE then reports the default charset.
   */
  defaulted: boolean;
}

export interface ContentDisposition extends ParameterizedValue {
  /** Lower-case disposition type, e.g. `attachment` or `inline`. */
  type: string;
}

/**
 * Structural role of a part:
 * - `multipart`: its body was split at its boundary into `children`;
 * - `message`: a message/rfc822 (or message/global) part whose body was parsed as an
 *   encapsulated message, held as `children[0]` with its own header;
 * - `leaf`: anything else (including a multipart or message part left unparsed, see `unparsed`).
 */
export type PartKind = 'leaf' | 'multipart' | 'message';

/** Why a part that could hold structure is kept as a leaf. */
export type UnparsedReason =
  | 'depth' // nesting reached maxDepth
  | 'parts' // the message reached maxParts
  | 'no-boundary' // multipart/* without a boundary parameter
  | 'encoded'; // message/rfc822 with a base64/quoted-printable transfer encoding (RFC 2046 §5.2.1 forbids it)

export interface MimePart {
  /**
   * IMAP part specifier (RFC 3501 §6.4.5) of this entity: `''` for the top-level message,
   * `'1'`, `'1.2'`, … for parts of a multipart. An encapsulated message (the child of a
   * message/rfc822 part) carries its container's specifier, since `BODY[3]` of a message/rfc822
   * part is exactly that message. Use `findPart` to resolve a section number list: it also applies
   * the rule that a non-multipart message's part `1` is its body.
   */
  section: string;
  kind: PartKind;
  /** 0 for the top-level message, +1 for each multipart or message level. */
  depth: number;
  /** Byte offset of the first header byte. */
  headerStart: number;
  /** Byte offset of the first body byte (just past the blank line ending the header). */
  bodyStart: number;
  /** Byte offset just past the body (exclusive). The line break before a boundary belongs to the boundary (RFC 2046 §5.1.1). */
  bodyEnd: number;
  headers: HeaderField[];
  contentType: ContentType;
  disposition: ContentDisposition | null;
  /** Content-ID as written (angle brackets kept), or null. */
  contentId: string | null;
  /** Content-Description, unfolded, not decoded (see HeaderField.value), or null. */
  description: string | null;
  /** Lower-case Content-Transfer-Encoding, `7bit` when absent (RFC 2045 §6.1). */
  encoding: string;
  /** Content-Language tags (RFC 3282), or null. */
  language: string[] | null;
  /** Content-Location (RFC 2557), or null. */
  location: string | null;
  /** Content-MD5 (RFC 1864), or null. */
  md5: string | null;
  /** Size of the body in octets as it is in the message (still transfer-encoded). */
  size: number;
  /**
   * Number of lines in the body (count of LF octets, as Dovecot counts them) for text/* and
   * message/* parts and everything inside a message/* part; null where IMAP does not need it.
   */
  lines: number | null;
  /**
   * Parts of a multipart, in order; the encapsulated message of a message part. A multipart
   * whose delimiter never occurs has none (RFC 2046 requires one; Dovecot's BODYSTRUCTURE then
   * shows a single empty text/plain part).
   */
  children: MimePart[];
  unparsed?: UnparsedReason;
}

export interface ParseTreeOptions {
  /** Deepest nesting that is still split into parts; deeper multiparts/messages are leaves. Default 64. */
  maxDepth?: number;
  /** Most parts in one message; later boundaries are treated as body text. Default 10,000. */
  maxParts?: number;
  /** Count body lines (`MimePart.lines`, needed for IMAP BODYSTRUCTURE). Default true; parseMessage turns it off. */
  countLines?: boolean;
}
