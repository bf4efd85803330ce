// The human-readable report: one table row per port with its verdict, then each port's
// findings with evidence and fix. Colour only when writing to a terminal.
import type { Diagnosis, PortReport, ProbeReport } from './report.js';

interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const ansi = (code: number) => (s: string): string => `\x1b[${code}m${s}\x1b[0m`;
const COLOUR: Paint = { red: ansi(31), yellow: ansi(33), green: ansi(32), dim: ansi(2), bold: ansi(1) };
const PLAIN: Paint = { red: (s) => s, yellow: (s) => s, green: (s) => s, dim: (s) => s, bold: (s) => s };

export function formatReport(report: ProbeReport, options: { colour: boolean }): string {
  const c = options.colour ? COLOUR : PLAIN;
  const lines: string[] = [];
  const from = report.source ? `, from ${report.source}` : '';
  lines.push(c.bold(`postern probe ${report.host}`) + ` (${report.address ?? 'unresolved'}${from}) — ${report.ports.length} port${report.ports.length === 1 ? '' : 's'} in ${(report.durationMs / 1000).toFixed(1)} s`);
  lines.push('');
  const rows: string[][] = [['PORT', 'PROTO', 'MODE', 'TLS', 'CERTIFICATE', 'VERDICT']];
  for (const p of report.ports) rows.push([String(p.port), p.protocol ?? '?', modeText(p), tlsText(p), certText(p), p.verdict]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  rows.forEach((r, i) => {
    const cells = r.map((cell, j) => cell.padEnd(widths[j]!));
    const verdict = r[5]!;
    if (i > 0) cells[5] = paintVerdict(c, verdict);
    lines.push((i === 0 ? c.dim : (s: string) => s)(cells.join('  ').trimEnd()));
  });
  for (const p of report.ports) {
    if (p.status !== 'open' && p.diagnoses.length === 0) continue;
    lines.push('');
    lines.push(c.bold(`Port ${p.port}`) + ` ${p.protocol ?? ''} ${modeText(p)}`.trimEnd() + (p.banner ? c.dim(`  "${p.banner.slice(0, 70)}"`) : ''));
    const facts = detailLine(p);
    if (facts) lines.push(c.dim(`  ${facts}`));
    for (const d of sortDiagnoses(p.diagnoses)) lines.push(...formatDiagnosis(d, c));
  }
  if (report.diagnoses.length > 0) {
    lines.push('');
    lines.push(c.bold('Host'));
    for (const d of sortDiagnoses(report.diagnoses)) lines.push(...formatDiagnosis(d, c));
  }
  lines.push('');
  lines.push(`Verdict: ${paintVerdict(c, report.verdict)} (exit ${report.exitCode})`);
  return lines.join('\n') + '\n';
}

function paintVerdict(c: Paint, v: string): string {
  return v === 'failure' ? c.red(v) : v === 'warning' ? c.yellow(v) : v === 'ok' ? c.green(v) : c.dim(v);
}

function modeText(p: PortReport): string {
  if (p.status !== 'open') return p.status;
  switch (p.mode) {
    case 'starttls': return p.starttls?.offered ? 'starttls' : 'plain';
    case 'tls': return 'implicit-tls';
    case 'dual': return 'tls+plain';
    default: return p.mode ?? '?';
  }
}

function tlsText(p: PortReport): string {
  if (!p.tls) return p.status === 'open' ? '-' : '';
  return [p.tls.version, p.tls.keyExchange?.name].filter(Boolean).join(' ');
}

function certText(p: PortReport): string {
  const cert = p.tls?.certificate;
  if (!cert) return '';
  const leaf = cert.chain[0]!;
  const state = !cert.hostname.matched ? 'wrong name' : leaf.daysLeft < 0 ? 'expired' : !cert.trusted ? 'untrusted' : 'ok';
  return `${state}, ${leaf.daysLeft} days`;
}

function detailLine(p: PortReport): string {
  const parts: string[] = [];
  if (p.versions.length) {
    parts.push('versions ' + p.versions.map((v) => `${v.version.replace('TLSv', '')}:${v.accepted === true ? 'yes' : v.accepted === false ? 'no' : '?'}`).join(' '));
  }
  if (p.ems.tested) parts.push(`EMS ${p.ems.supported ? 'yes' : 'no'}`);
  const res = [
    ['id', p.resumption.sessionId.resumed],
    ['ticket1.2', p.resumption.ticketTls12.resumed],
    ['ticket1.3', p.resumption.ticketTls13.resumed],
  ].filter(([, v]) => v !== null).map(([k, v]) => `${k}:${v ? 'yes' : 'no'}`);
  if (res.length) parts.push(`resumption ${res.join(' ')}`);
  if (p.alpn.outcome) parts.push(`foreign ALPN ${p.alpn.outcome}`);
  if (p.afterTls?.authMechanisms.length) parts.push(`auth ${p.afterTls.authMechanisms.join(' ')}`);
  return parts.join(' · ');
}

const ORDER = { failure: 0, warning: 1, info: 2 } as const;
function sortDiagnoses(ds: Diagnosis[]): Diagnosis[] {
  return [...ds].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
}

function formatDiagnosis(d: Diagnosis, c: Paint): string[] {
  const tag = d.severity === 'failure' ? c.red('✗ FAIL') : d.severity === 'warning' ? c.yellow('! WARN') : c.dim('i INFO');
  const out = [`  ${tag}  ${d.title}`];
  if (d.severity === 'info') return out;
  out.push(`          ${d.explanation}`);
  for (const e of d.evidence) out.push(c.dim(`          seen: ${e}`));
  out.push(`          fix:  ${d.fix}`);
  return out;
}
