/**
 * OAuth error challenges: when a server refuses a bearer token it sends a JSON object as a
 * challenge (RFC 7628 §3.2.2 for OAUTHBEARER, the same shape in Google's XOAUTH2) and expects a
 * dummy response before it fails the command.
 */
import { decodeUtf8 } from './bytes.js';
import type { SaslServerError } from './client-types.js';

function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Printable excerpt of text a server sent, for messages. */
function excerpt(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, ' ').trim().slice(0, 200);
}

export function parseOAuthErrorChallenge(challenge: Buffer): SaslServerError {
  const text = decodeUtf8(challenge) ?? challenge.toString('latin1');
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    obj = null;
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return { message: `the server refused the OAuth token: ${excerpt(text) || 'no reason given'}`, tokenRejected: false };
  }
  const record = obj as Record<string, unknown>;
  const status = stringField(record, 'status');
  const scope = stringField(record, 'scope');
  const schemes = stringField(record, 'schemes');
  const openidConfiguration = stringField(record, 'openid-configuration');
  // XOAUTH2 uses HTTP status numbers, OAUTHBEARER the RFC 6750 §3.1 error codes.
  const tokenRejected = status === '401' || status === 'invalid_token';
  let message: string;
  if (tokenRejected) message = 'the server refused the OAuth token as invalid or expired: refresh the token and try again';
  else if (status === '403' || status === 'insufficient_scope') {
    message = `the OAuth token lacks the permission the server needs${scope ? ` (scope ${scope})` : ''}`;
  } else if (status === '400' || status === 'invalid_request') message = 'the server rejected the OAuth request as malformed';
  else message = `the server refused the OAuth token (status ${status ?? 'unknown'})`;
  const error: SaslServerError = { message, tokenRejected };
  if (status !== undefined) error.status = status;
  if (scope !== undefined) error.scope = scope;
  if (schemes !== undefined) error.schemes = schemes;
  if (openidConfiguration !== undefined) error.openidConfiguration = openidConfiguration;
  return error;
}
