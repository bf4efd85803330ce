// Helpers for probe tests: run a scan, pick diagnoses, validate the report against its schema.
import assert from 'node:assert/strict';
import { scanHost, type ScanOptions } from '../../src/probe/scanner.js';
import { ProbeReportSchema, type Diagnosis, type PortReport, type ProbeReport } from '../../src/probe/report.js';

export async function probe(options: ScanOptions & { host?: string }): Promise<ProbeReport> {
  const { host = 'mail.example.test', ...rest } = options;
  const report = await scanHost(host, { address: '127.0.0.1', timeoutMs: 1500, ...rest });
  // Every report a test looks at is also checked against the published schema.
  const parsed = ProbeReportSchema.safeParse(JSON.parse(JSON.stringify(report)));
  assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues, null, 1));
  return report;
}

export function ids(port: PortReport | ProbeReport): string[] {
  return port.diagnoses.map((d) => d.id);
}

export function find(port: PortReport | ProbeReport, id: string): Diagnosis {
  const d = port.diagnoses.find((x) => x.id === id);
  assert.ok(d, `expected diagnosis ${id}; got ${ids(port).join(', ') || 'none'}`);
  return d;
}
