// What a protocol log may print of a command: never credentials (DESIGN §3 "Logs"). LOGIN's
// arguments and AUTHENTICATE's payload become "***"; literal contents are never printed, only
// their sizes.
import type { RawCommand } from './command-decoder.js';

export function redactCommand(raw: RawCommand): string {
  if (raw.name === 'LOGIN') return `${raw.tag} LOGIN ***`;
  if (raw.name === 'AUTHENTICATE') {
    const first = raw.segments[0]!.toString('latin1', raw.argsStart).trim().split(' ')[0] ?? '';
    const hasIr = raw.segments[0]!.toString('latin1', raw.argsStart).trim().includes(' ');
    return `${raw.tag} AUTHENTICATE ${first}${hasIr ? ' ***' : ''}`;
  }
  let out = '';
  raw.segments.forEach((seg, i) => {
    out += seg.toString('latin1', 0, Math.min(seg.length, 300));
    if (seg.length > 300) out += '…';
    const lit = raw.literals[i];
    if (lit) out += ` [${lit.length} bytes]`;
  });
  return out;
}
