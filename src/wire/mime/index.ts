// postern/mime: the MIME layer shared by the IMAP server and the client library.
export type {
  ContentDisposition,
  ContentType,
  HeaderField,
  MimePart,
  ParameterizedValue,
  ParseTreeOptions,
  PartKind,
  UnparsedReason,
} from './types.js';
export { parseMimeTree, findPart, headerBytes, bodyBytes, walkParts, DEFAULT_MAX_DEPTH, DEFAULT_MAX_PARTS } from './tree.js';
export { scanHeaderBlock, findField } from './header-block.js';
export { parseParameterized, type ParsedParameterized } from './params.js';
export { decodeWords } from './encoded-words.js';
export { decodeBytes, decodeUtf8OrLatin, resolveCharset, encodeText } from './charset.js';
export { decodeBase64, decodeQuotedPrintable, decodeTransferEncoding, encodeBase64Lines, encodeQuotedPrintable } from './transfer-encoding.js';
export { downgradeTo7bit, DowngradeError } from './downgrade.js';
export { parseAddressList, flattenAddresses, type Address, type MailboxAddress, type GroupAddress } from './address.js';
export { parseMailDate, formatMailDate } from './date.js';
export {
  parseEnvelope,
  toEnvelopeAddresses,
  envelopeAddressTuple,
  MISSING_DOMAIN,
  MISSING_MAILBOX,
  type Envelope,
  type EnvelopeAddress,
} from './envelope.js';
export { decodePartBody, decodePartText, htmlToText, searchableText, type SearchableText } from './text.js';
export { parseMessage, type ParsedMessage, type Attachment } from './message.js';
export {
  MailBuilder,
  type AddressInput,
  type AttachmentInput,
  type AlternativeInput,
  type MailOptions,
  type DeterministicOptions,
} from './builder.js';
