// Login-name forms (DESIGN §2, seed 003 — Exchange's table). "\" or "/" separates.
//   user                      SAM name in the local domain
//   domain\user               SAM name in that domain, the user's own mailbox
//   domain\user\alias         as domain\user, opening the mailbox with that alias (FullAccess)
//   upn                       user principal name
//   upn\alias                 as upn, opening the mailbox with that alias (FullAccess)
//   domain\upn                the UPN's account, which must be in that domain (seed 003)
// Invalid: two separators and any "@"; one separator and two or more "@"; more than two
// separators; empty parts.

export type LoginName =
  | { form: 'sam'; sam: string }
  | { form: 'domain-sam'; domain: string; sam: string }
  | { form: 'domain-sam-alias'; domain: string; sam: string; alias: string }
  | { form: 'upn'; upn: string }
  | { form: 'upn-alias'; upn: string; alias: string }
  | { form: 'domain-upn'; domain: string; upn: string };

export type LoginNameResult = LoginName | { form: 'invalid'; reason: string };

const MAX_LOGIN_NAME = 512;

export function parseLoginName(input: string): LoginNameResult {
  if (input.length === 0) return { form: 'invalid', reason: 'empty login name' };
  if (input.length > MAX_LOGIN_NAME) return { form: 'invalid', reason: 'login name too long' };
  if (/[\x00-\x1f\x7f]/.test(input)) return { form: 'invalid', reason: 'control characters in login name' };
  const parts = input.split(/[\\/]/);
  const ats = (input.match(/@/g) ?? []).length;
  if (parts.some((p) => p.length === 0)) return { form: 'invalid', reason: 'empty part in login name' };
  const lower = (s: string) => s.toLowerCase();
  switch (parts.length) {
    case 1:
      if (ats === 0) return { form: 'sam', sam: lower(parts[0]!) };
      if (ats === 1) return validUpn(parts[0]!) ? { form: 'upn', upn: lower(parts[0]!) } : { form: 'invalid', reason: 'malformed UPN' };
      return { form: 'invalid', reason: 'more than one "@"' };
    case 2: {
      const [a, b] = parts as [string, string];
      if (ats === 0) return { form: 'domain-sam', domain: a.toUpperCase(), sam: lower(b) };
      if (ats >= 2) return { form: 'invalid', reason: 'one separator and two or more "@"' };
      if (a.includes('@')) return validUpn(a) ? { form: 'upn-alias', upn: lower(a), alias: lower(b) } : { form: 'invalid', reason: 'malformed UPN' };
      return validUpn(b) ? { form: 'domain-upn', domain: a.toUpperCase(), upn: lower(b) } : { form: 'invalid', reason: 'malformed UPN' };
    }
    case 3:
      if (ats > 0) return { form: 'invalid', reason: 'two separators and an "@"' };
      return { form: 'domain-sam-alias', domain: parts[0]!.toUpperCase(), sam: lower(parts[1]!), alias: lower(parts[2]!) };
    default:
      return { form: 'invalid', reason: 'more than two separators' };
  }
}

function validUpn(s: string): boolean {
  const at = s.indexOf('@');
  return at > 0 && at < s.length - 1;
}
