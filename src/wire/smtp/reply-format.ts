// SMTP / LMTP replies as the server writes them (RFC 5321 §4.2): "CODE-text" lines and a last
// "CODE text" line, each carrying the RFC 3463 enhanced status code when there is one (RFC 2034
// §3: every reply except the greeting and the EHLO/HELO/LHLO answer).

/** Formats a reply; `text` may hold several lines (an array, or one string with no CR/LF). */
export function formatReply(code: number, enhanced: string | null, text: string | readonly string[]): string {
  const lines = typeof text === 'string' ? [text] : text.length ? text : [''];
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const sep = i === lines.length - 1 ? ' ' : '-';
    const body = enhanced ? `${enhanced} ${lines[i]}` : lines[i];
    out += `${code}${sep}${clean(body!)}\r\n`;
  }
  return out;
}

/** A reply line never carries CR, LF or NUL, whatever text an error message holds. */
function clean(s: string): string {
  return s.replace(/[\r\n\0]/g, ' ');
}

/** The first digit class of an enhanced code must agree with the reply code (RFC 3463 §2). */
export function enhancedFits(code: number, enhanced: string): boolean {
  return enhanced.startsWith(`${Math.floor(code / 100)}.`);
}
