// The base subject of RFC 5256 §2.1, for SORT SUBJECT and THREAD: encoded words decoded,
// whitespace collapsed, and "Re:", "Fwd:", "[list]" leaders, "(fwd)" trailers and "[fwd: …]"
// wrappers removed, compared case-insensitively.
import { decodeWords } from '../../wire/mime/encoded-words.js';

const TRAILER = /(?:\s*\(fwd\))+\s*$/i;
// subj-leader: *subj-blob subj-refwd, subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
const LEADER = /^(?:\[[^[\]]*\]\s*)*(?:re|fwd?)\s*(?:\[[^[\]]*\]\s*)?:\s*/i;
const BLOB = /^\[[^[\]]*\]\s*/;

export interface BaseSubject {
  base: string;
  /** The subject had a reply/forward leader or trailer (RFC 5256 §4 step 5 uses this). */
  isReply: boolean;
}

export function baseSubject(raw: string | null): BaseSubject {
  let s = decodeWords(raw ?? '').replace(/[\t\r\n ]+/g, ' ').trim();
  let isReply = false;
  for (;;) {
    let again = false;
    // (2) trailing "(fwd)"
    if (TRAILER.test(s)) {
      s = s.replace(TRAILER, '');
      isReply = true;
    }
    // (3) and (4), until nothing more comes off
    for (;;) {
      const before = s;
      if (LEADER.test(s)) {
        s = s.replace(LEADER, '');
        isReply = true;
      }
      const m = BLOB.exec(s);
      if (m && m[0].length < s.length) s = s.slice(m[0].length);
      if (s === before) break;
    }
    // (6) "[fwd: …]"
    const fwd = /^\[fwd:\s*(.*)\]$/i.exec(s);
    if (fwd) {
      s = fwd[1]!.trim();
      isReply = true;
      again = true;
    }
    if (!again) break;
  }
  return { base: s.toLowerCase(), isReply };
}
